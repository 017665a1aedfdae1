// The header block a hit sends, built once per stored object (when the store keeps it): the
// status line and the object's hit headers (stored origin headers, Via, X-Amz-Cf-Pop,
// Content-Length) as one Latin-1 string, validated once, plus the access log's facts about it.
// The hit lane adds X-Cache, Age, X-Amz-Cf-Id, Date and node:http's own Connection / Keep-Alive
// lines per answer. Pure.
import { STATUS_CODES } from 'node:http';
import { responseFacts } from '../access-log.js';

export interface HeadBlock {
  /** `HTTP/1.1 <status> <reason>\r\n` and one `Name: value\r\n` line per hit header. */
  text: string;
  /** The hit headers hold a Date (node:http then adds none). */
  hasDate: boolean;
  /** Content-Type and Content-Length as the access log notes them (noteResponseHead). */
  contentType?: string;
  contentLength?: number;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** node:http refuses a header value with any other byte (checkInvalidHeaderChar). */
const VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
/** Fields node:http treats specially when it writes a head: a block holding one is not built. */
const FRAMING = new Set(['connection', 'transfer-encoding', 'keep-alive', 'expect', 'trailer']);

/** The block for a hit of a 200 object, or undefined when the lane must leave it to node:http. */
export function headBlockOf(status: number, isError: boolean, hitHeaders: readonly string[]): HeadBlock | undefined {
  if (status !== 200 || isError) return undefined;
  let text = `HTTP/1.1 200 ${STATUS_CODES[200]}\r\n`;
  let hasDate = false;
  let lengths = 0;
  for (let i = 0; i + 1 < hitHeaders.length; i += 2) {
    const name = hitHeaders[i]!;
    const value = hitHeaders[i + 1]!;
    if (!TOKEN.test(name) || !VALUE.test(value)) return undefined;
    const lower = name.toLowerCase();
    if (FRAMING.has(lower)) return undefined;
    if (lower === 'date') hasDate = true;
    else if (lower === 'content-length') lengths++;
    text += `${name}: ${value}\r\n`;
  }
  const facts = responseFacts(hitHeaders);
  if (lengths !== 1 || facts.contentLength === undefined) return undefined;
  return { text, hasDate, contentType: facts.contentType, contentLength: facts.contentLength };
}
