// Where signing credentials come from, and CloudFront's precedence: any signed-URL parameter in
// the query makes the request a signed URL, judged by its URL alone; otherwise the signed cookies.
import { describe, expect, it } from 'vitest';
import { presentedCredentials, withoutSigningCookies } from '../../../src/edge/signing/credentials.js';

const cookies = 'CloudFront-Policy=cA__; CloudFront-Signature=c2ln; CloudFront-Key-Pair-Id=K1';

describe('presentedCredentials', () => {
  it.each<[string, [string, string][], string | undefined, unknown]>([
    ['nothing', [], undefined, { ok: true, value: undefined }],
    ['unrelated query and cookies', [['_HLS_msn', '3']], 'session=1; theme=dark', { ok: true, value: undefined }],
    [
      'a canned signed URL',
      [
        ['a', '1'],
        ['Expires', '9'],
        ['Signature', 's'],
        ['Key-Pair-Id', 'K1'],
      ],
      undefined,
      { ok: true, value: { via: 'url', fields: { Expires: '9', Signature: 's', 'Key-Pair-Id': 'K1' } } },
    ],
    [
      'signed cookies',
      [],
      `session=1; ${cookies}`,
      { ok: true, value: { via: 'cookie', fields: { Policy: 'cA__', Signature: 'c2ln', 'Key-Pair-Id': 'K1' } } },
    ],
    [
      'canned cookies with Hash-Algorithm',
      [],
      'CloudFront-Expires=9; CloudFront-Signature=s; CloudFront-Key-Pair-Id=K1; CloudFront-Hash-Algorithm=SHA256',
      { ok: true, value: { via: 'cookie', fields: { Expires: '9', Signature: 's', 'Key-Pair-Id': 'K1', 'Hash-Algorithm': 'SHA256' } } },
    ],
    [
      'both: the URL wins, cookies unread',
      [
        ['Policy', 'u'],
        ['Signature', 'us'],
        ['Key-Pair-Id', 'K2'],
      ],
      cookies,
      { ok: true, value: { via: 'url', fields: { Policy: 'u', Signature: 'us', 'Key-Pair-Id': 'K2' } } },
    ],
    [
      'one signed-URL parameter is enough to make it a signed URL',
      [['Expires', '9']],
      cookies,
      { ok: true, value: { via: 'url', fields: { Expires: '9' } } },
    ],
    [
      'Hash-Algorithm alone makes it a signed URL',
      [['Hash-Algorithm', 'SHA256']],
      cookies,
      { ok: true, value: { via: 'url', fields: { 'Hash-Algorithm': 'SHA256' } } },
    ],
    [
      'names are case-sensitive: signature= is an own parameter',
      [['signature', 'x']],
      cookies,
      { ok: true, value: { via: 'cookie', fields: { Policy: 'cA__', Signature: 'c2ln', 'Key-Pair-Id': 'K1' } } },
    ],
    ['cookie names are case-sensitive', [], 'cloudfront-policy=x; CLOUDFRONT-SIGNATURE=y', { ok: true, value: undefined }],
    [
      'a parameter twice',
      [
        ['Signature', 'a'],
        ['Signature', 'b'],
        ['Key-Pair-Id', 'K1'],
      ],
      undefined,
      { ok: false, reason: 'the signing parameter Signature appears more than once' },
    ],
    [
      'a parameter twice with the same value',
      [
        ['Signature', 'a'],
        ['Signature', 'a'],
      ],
      undefined,
      { ok: false, reason: 'the signing parameter Signature appears more than once' },
    ],
    [
      'a cookie twice, same value (two paths)',
      [],
      `${cookies}; CloudFront-Key-Pair-Id=K1`,
      { ok: true, value: { via: 'cookie', fields: { Policy: 'cA__', Signature: 'c2ln', 'Key-Pair-Id': 'K1' } } },
    ],
    [
      'a cookie twice, different values',
      [],
      `${cookies}; CloudFront-Key-Pair-Id=K2`,
      { ok: false, reason: 'the cookie CloudFront-Key-Pair-Id appears twice with different values' },
    ],
  ])('%s', (_name, params, cookieHeader, expected) => {
    expect(presentedCredentials(params, cookieHeader)).toEqual(expected);
  });
});

describe('withoutSigningCookies', () => {
  it.each<[string | undefined, string | undefined]>([
    [undefined, undefined],
    ['session=1', 'session=1'],
    [cookies, undefined],
    [`session=1; ${cookies}; theme=dark`, 'session=1; theme=dark'],
    [`${cookies}; session=1`, 'session=1'],
    ['CloudFront-Expires=9;CloudFront-Hash-Algorithm=SHA256;a=b', 'a=b'],
    // Only the five exact names are the edge's: look-alikes are the application's cookies.
    ['CloudFront-Policyx=1; cloudfront-policy=2; CloudFront-Viewer=3', 'CloudFront-Policyx=1; cloudfront-policy=2; CloudFront-Viewer=3'],
  ])('%j → %j', (header, expected) => {
    expect(withoutSigningCookies(header)).toBe(expected);
  });
});
