// Response headers policies (policies/response-headers.ts) and origin failover decisions
// (policies/failover.ts), from tables.
import { describe, expect, it } from 'vitest';
import { applyResponseHeadersPolicy, isPreflight, originAllowed, type AnswerContext } from '../../../src/edge/policies/response-headers.js';
import { findPolicy, MANAGED_RESPONSE_HEADERS_POLICIES, type ResponseHeadersPolicy } from '../../../src/edge/policies/managed.js';
import { failsOver } from '../../../src/edge/policies/failover.js';
import { pairsOf } from '../../../src/http/headers.js';

const answer = (over: Partial<AnswerContext> = {}): AnswerContext => ({
  method: 'GET',
  result: 'Miss',
  requestId: 'RID',
  pop: 'LOC1',
  elapsedMs: 3.4,
  coin: 50,
  ...over,
});
const get = (h: string[], name: string) =>
  pairsOf(h)
    .filter(([n]) => n.toLowerCase() === name.toLowerCase())
    .map(([, v]) => v);
const cors = (c: Partial<NonNullable<ResponseHeadersPolicy['corsConfig']>>): ResponseHeadersPolicy => ({
  id: 'c',
  name: 'c',
  corsConfig: {
    accessControlAllowOrigins: ['https://app.example'],
    accessControlAllowHeaders: ['Range'],
    accessControlAllowMethods: ['GET', 'HEAD'],
    accessControlAllowCredentials: false,
    accessControlExposeHeaders: ['Age'],
    accessControlMaxAgeSec: 600,
    originOverride: false,
    ...c,
  },
});
const ORIGIN = ['Content-Type', 'video/mp2t', 'Server', 'origin/1'];

describe('CORS', () => {
  it.each([
    [
      'allowed origin, simple GET',
      cors({}),
      answer({ origin: 'https://app.example' }),
      ORIGIN,
      {
        'access-control-allow-origin': ['https://app.example'],
        'access-control-expose-headers': ['Age'],
        vary: ['Origin'],
        'access-control-allow-methods': [],
      },
    ],
    ['origin not in the list', cors({}), answer({ origin: 'https://evil.example' }), ORIGIN, { 'access-control-allow-origin': [] }],
    ['no Origin: not a CORS request', cors({}), answer(), ORIGIN, { 'access-control-allow-origin': [] }],
    [
      '"*" answers "*" and adds no Vary',
      cors({ accessControlAllowOrigins: ['*'] }),
      answer({ origin: 'https://x.example' }),
      ORIGIN,
      { 'access-control-allow-origin': ['*'], vary: [] },
    ],
    [
      'wildcard subdomain',
      cors({ accessControlAllowOrigins: ['https://*.example'] }),
      answer({ origin: 'https://a.example' }),
      ORIGIN,
      { 'access-control-allow-origin': ['https://a.example'] },
    ],
    [
      'credentials echo the origin',
      cors({ accessControlAllowCredentials: true }),
      answer({ origin: 'https://app.example' }),
      ORIGIN,
      { 'access-control-allow-credentials': ['true'] },
    ],
    [
      'preflight gets methods, headers, max-age',
      cors({}),
      answer({ method: 'OPTIONS', origin: 'https://app.example', requestMethod: 'GET' }),
      [],
      {
        'access-control-allow-methods': ['GET, HEAD'],
        'access-control-allow-headers': ['Range'],
        'access-control-max-age': ['600'],
        'access-control-expose-headers': [],
      },
    ],
    [
      'ALL methods',
      cors({ accessControlAllowMethods: ['ALL'] }),
      answer({ method: 'OPTIONS', origin: 'https://app.example', requestMethod: 'PUT' }),
      [],
      { 'access-control-allow-methods': ['GET, HEAD, OPTIONS, PUT, POST, PATCH, DELETE'] },
    ],
    [
      'origin override off: the origin’s CORS answer stands',
      cors({}),
      answer({ origin: 'https://app.example' }),
      [...ORIGIN, 'Access-Control-Allow-Origin', 'https://other'],
      { 'access-control-allow-origin': ['https://other'], 'access-control-expose-headers': [] },
    ],
    [
      'origin override on: the policy’s replaces it',
      cors({ originOverride: true }),
      answer({ origin: 'https://app.example' }),
      [...ORIGIN, 'access-control-allow-origin', 'https://other', 'Access-Control-Allow-Credentials', 'true'],
      { 'access-control-allow-origin': ['https://app.example'], 'access-control-allow-credentials': [] },
    ],
    [
      'an existing Vary gets Origin once',
      cors({}),
      answer({ origin: 'https://app.example' }),
      [...ORIGIN, 'Vary', 'Accept-Encoding'],
      { vary: ['Accept-Encoding', 'Origin'] },
    ],
  ] as const)('%s', (_, policy, a, origin, want) => {
    const h = applyResponseHeadersPolicy(policy, [...origin], a);
    for (const [name, values] of Object.entries(want)) expect(get(h, name), name).toEqual(values);
  });
  it.each([
    ['OPTIONS', 'https://a', 'GET', true],
    ['OPTIONS', undefined, 'GET', false],
    ['OPTIONS', 'https://a', undefined, false],
    ['GET', 'https://a', 'GET', false],
  ] as const)('isPreflight(%s, %s, %s) = %s', (m, o, r, want) => expect(isPreflight(m, o, r)).toBe(want));
  it('originAllowed does not let a suffix stand for a subdomain', () => {
    expect(originAllowed(['https://*.example'], 'https://evilexample')).toBe(false);
    expect(originAllowed(['https://*.example'], 'http://a.example')).toBe(false);
    expect(originAllowed(['https://*.example'], 'https://.example')).toBe(false);
  });
});

describe('security, custom and removed headers', () => {
  const security: ResponseHeadersPolicy = {
    id: 's',
    name: 's',
    securityHeadersConfig: {
      strictTransportSecurity: { accessControlMaxAgeSec: 63072000, includeSubdomains: true, preload: true, override: true },
      contentTypeOptions: { override: false },
      frameOptions: { frameOption: 'DENY', override: false },
      referrerPolicy: { referrerPolicy: 'no-referrer', override: true },
      contentSecurityPolicy: { contentSecurityPolicy: "default-src 'self'", override: false },
      xssProtection: { protection: true, modeBlock: true, override: false },
    },
  };
  it('sets each security header, honouring override per header', () => {
    const h = applyResponseHeadersPolicy(
      security,
      ['X-Frame-Options', 'SAMEORIGIN', 'Referrer-Policy', 'origin', 'Strict-Transport-Security', 'max-age=1'],
      answer(),
    );
    expect(get(h, 'strict-transport-security')).toEqual(['max-age=63072000; includeSubDomains; preload']);
    expect(get(h, 'x-content-type-options')).toEqual(['nosniff']);
    expect(get(h, 'x-frame-options')).toEqual(['SAMEORIGIN']); // origin's kept: override false
    expect(get(h, 'referrer-policy')).toEqual(['no-referrer']); // replaced: override true
    expect(get(h, 'content-security-policy')).toEqual(["default-src 'self'"]);
    expect(get(h, 'x-xss-protection')).toEqual(['1; mode=block']);
  });
  it.each([
    [{ protection: false, modeBlock: false, override: true }, '0'],
    [{ protection: true, modeBlock: false, override: true }, '1'],
    [{ protection: true, modeBlock: false, reportUri: 'https://r.example/x', override: true }, '1; report=https://r.example/x'],
  ])('X-XSS-Protection %j → %s', (xssProtection, v) =>
    expect(
      get(applyResponseHeadersPolicy({ id: 'x', name: 'x', securityHeadersConfig: { xssProtection } }, [], answer()), 'x-xss-protection'),
    ).toEqual([v]),
  );
  it('removes, then sets custom headers (override decides over the origin’s)', () => {
    const p: ResponseHeadersPolicy = {
      id: 'c',
      name: 'c',
      removeHeadersConfig: { items: [{ header: 'server' }, { header: 'X-Powered-By' }] },
      customHeadersConfig: {
        items: [
          { header: 'X-Stream', value: 'edge', override: false },
          { header: 'Cache-Control', value: 'max-age=2', override: true },
          { header: 'Server', value: 'streamfront', override: false },
        ],
      },
    };
    const origin = ['Server', 'origin/1', 'x-powered-by', 'php', 'X-Stream', 'origin', 'Cache-Control', 'max-age=600'];
    const h = applyResponseHeadersPolicy(p, origin, answer());
    expect(get(h, 'x-powered-by')).toEqual([]);
    expect(get(h, 'server')).toEqual(['streamfront']); // removed first, so the custom one is added
    expect(get(h, 'x-stream')).toEqual(['origin']);
    expect(get(h, 'cache-control')).toEqual(['max-age=2']);
    expect(origin).toEqual(['Server', 'origin/1', 'x-powered-by', 'php', 'X-Stream', 'origin', 'Cache-Control', 'max-age=600']); // input untouched
  });
});

describe('Server-Timing', () => {
  const st = (samplingRate: number): ResponseHeadersPolicy => ({
    id: 't',
    name: 't',
    serverTimingHeadersConfig: { enabled: true, samplingRate },
  });
  it.each([
    ['Hit', 10, 100, 'cdn-cache-hit,cdn-pop;desc="LOC1",cdn-rid;desc="RID",cdn-hit-layer;desc="EDGE",cdn-downstream-fbl;dur=3'],
    ['Miss', 0, 100, 'cdn-cache-miss,cdn-pop;desc="LOC1",cdn-rid;desc="RID",cdn-downstream-fbl;dur=3'],
    ['Miss', 60, 50, undefined],
    ['Miss', 49.9, 50, 'cdn-cache-miss,cdn-pop;desc="LOC1",cdn-rid;desc="RID",cdn-downstream-fbl;dur=3'],
    ['Miss', 0, 0, undefined],
  ])('%s, coin %s, rate %s', (result, coin, rate, want) =>
    expect(get(applyResponseHeadersPolicy(st(rate), [], answer({ result, coin })), 'server-timing')[0]).toBe(want),
  );
});

describe('managed response headers policies', () => {
  it('SecurityHeadersPolicy and the CORS ones are there by name and id', () => {
    expect(findPolicy('67f7725c-6f97-4210-82d7-5512b31e9d03', [], MANAGED_RESPONSE_HEADERS_POLICIES)?.name).toBe('SecurityHeadersPolicy');
    const h = applyResponseHeadersPolicy(
      findPolicy('SimpleCORS', [], MANAGED_RESPONSE_HEADERS_POLICIES)!,
      [],
      answer({ origin: 'https://a' }),
    );
    expect(get(h, 'access-control-allow-origin')).toEqual(['*']);
  });
});

describe('origin failover (origin groups)', () => {
  const rule = { groupId: 'g', statusCodes: new Set([500, 503]) };
  it.each([
    ['GET', { kind: 'status', status: 503 }, true],
    ['GET', { kind: 'status', status: 502 }, false],
    ['GET', { kind: 'status', status: 200 }, false],
    ['HEAD', { kind: 'failure', status: 504 }, true],
    ['OPTIONS', { kind: 'failure', status: 502 }, true],
    ['POST', { kind: 'status', status: 503 }, false],
    ['PUT', { kind: 'failure', status: 502 }, false],
  ] as const)('%s after %j → %s', (method, outcome, want) => expect(failsOver(rule, method, outcome)).toBe(want));
  it('no group: never', () => expect(failsOver(undefined, 'GET', { kind: 'failure', status: 502 })).toBe(false));
});
