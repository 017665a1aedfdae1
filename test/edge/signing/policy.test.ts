// SPEC SIG-02 and SIG-04: the canned policy CloudFront rebuilds, and its strict URL-safe base64.
import { describe, expect, it } from 'vitest';
import { cannedPolicy, fromUrlSafeBase64, strictUrlSafeBase64, toUrlSafeBase64 } from '../../../src/edge/signing/policy.js';

describe('SIG-02 canned policy', () => {
  it('is rebuilt exactly as the guide shows (no whitespace, bare integer epoch)', () => {
    expect(cannedPolicy('http://d1111111abcdef8.cloudfront.net/horizon.jpg?size=large&license=yes', 1357034400)).toBe(
      '{"Statement":[{"Resource":"http://d1111111abcdef8.cloudfront.net/horizon.jpg?size=large&license=yes","Condition":{"DateLessThan":{"AWS:EpochTime":1357034400}}}]}',
    );
  });
});

describe('SIG-04 URL-safe base64', () => {
  it('round-trips with `-` `_` `~` for `+` `=` `/`', () => {
    const b = Buffer.from([0xfb, 0xff, 0xfe, 0x01]);
    const s = toUrlSafeBase64(b);
    expect(s).toBe('-~~-AQ__');
    expect(fromUrlSafeBase64(s).equals(b)).toBe(true);
  });
  it.each<[string, string | undefined]>([
    ['-~~-AQ__', 'fbfffe01'],
    ['YWJj', '616263'],
    ['YQ__', '61'],
    ['//+-AQ==', undefined], // the standard alphabet
    ['-~~-AQ', undefined], // padding dropped
    ['-~~-AQ_', undefined], // padding short
    ['-~~-AQ__ ', undefined], // trailing space
    ['-~~ -AQ__', undefined], // space inside
    ['-~~-AQ__!!', undefined], // junk Node's decoder would skip
    ['YQ_a', undefined], // padding in the middle
    ['YR__', undefined], // non-canonical trailing bits
    ['', undefined],
  ])('%j', (text, hex) => {
    expect(strictUrlSafeBase64(text)?.toString('hex')).toBe(hex);
  });
});
