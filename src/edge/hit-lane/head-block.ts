// The header block a hit sends, built once per stored object (when the store keeps it): the
// status line, the object's hit headers (stored origin headers, Via, X-Amz-Cf-Pop,
// Content-Length) and the hit's constant `X-Cache` line, up to the `Age: ` name, as one buffer of
// Latin-1 bytes, validated once, plus the access log's facts about it. The hit lane copies it and
// writes the Age value, X-Amz-Cf-Id, Date and node:http's own Connection / Keep-Alive lines after
// it per answer, so a hit encodes only those few characters. Pure.
import { STATUS_CODES } from 'node:http';
import { responseFacts } from '../access-log.js';
import { X_CACHE } from '../deliver.js';

export interface HeadBlock {
  /**
   * `HTTP/1.1 200 OK\r\n`, one `Name: value\r\n` line per hit header, `X-Cache: Hit from
   * cloudfront\r\n` and `Age: `, in Latin-1 (a buffer of its own, not a slice of a shared pool).
   */
  prefix: Buffer;
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
  text += `X-Cache: ${X_CACHE.Hit}\r\nAge: `;
  const prefix = Buffer.allocUnsafeSlow(text.length);
  prefix.write(text, 0, 'latin1');
  return { prefix, hasDate, contentType: facts.contentType, contentLength: facts.contentLength };
}
