// The one hook between deliver.ts and response headers policies: the request's side of an answer
// read from the context, the policy applied (policies/response-headers.ts).
import type { RequestContext } from '../context.js';
import type { HeaderList } from '../../http/headers.js';
import { headerText } from '../../http/headers.js';
import { applyResponseHeadersPolicy } from './response-headers.js';

export function policyHeaders(v: RequestContext, headers: HeaderList, pop: string): HeaderList {
  const rq = v.req.headers;
  return applyResponseHeadersPolicy(v.headersPolicy!, headers, {
    method: v.method,
    origin: headerText(rq.origin),
    requestMethod: headerText(rq['access-control-request-method']),
    result: v.result,
    requestId: v.requestId,
    pop,
    elapsedMs: performance.now() - v.startedAt,
    coin: Math.random() * 100,
  });
}
