// Public keys from their PEM (CloudFront's EncodedKey), and which key a behaviour trusts for a
// Key-Pair-Id: a key of one of its trusted key groups, or an active key pair of a trusted signer.
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rsaPublicKeyFromPem, signingKeysOf, trustedKeyFor } from '../../../src/edge/signing/keys.js';

const rsa = (modulusLength: number) =>
  generateKeyPairSync('rsa', {
    modulusLength,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const k2048 = rsa(2048);
const k1024 = rsa(1024);
const pkcs1 = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'pkcs1', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const ec = generateKeyPairSync('ec', {
  namedCurve: 'prime256v1',
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});

describe('rsaPublicKeyFromPem', () => {
  it.each<[string, string, number | undefined, RegExp | 'ok']>([
    ['SPKI, 2048 bits', k2048.publicKey, 2048, 'ok'],
    ['PKCS#1 (BEGIN RSA PUBLIC KEY)', pkcs1.publicKey, 2048, 'ok'],
    ['SPKI with CRLF line ends', k2048.publicKey.replace(/\n/g, '\r\n'), 2048, 'ok'],
    ['1024 bits where 2048 are needed', k1024.publicKey, 2048, /2048 bits is needed, this one has 1024/],
    ['1024 bits, any length allowed', k1024.publicKey, undefined, 'ok'],
    ['the README placeholder', '-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----', 2048, /not a PEM public key/],
    ['empty', '', undefined, /not a PEM public key/],
    ['base64 without the armour', k2048.publicKey.split('\n').slice(1, -2).join('\n'), undefined, /not a PEM public key/],
    [
      'a truncated key',
      k2048.publicKey
        .split('\n')
        .filter((_l, i) => i !== 3)
        .join('\n'),
      undefined,
      /does not decode to a public key/,
    ],
    ['the private key', k2048.privateKey, undefined, /private key: give the public key/],
    ['an EC key', ec.publicKey, undefined, /RSA key is needed, this is ec/],
    ['text around the PEM', `key: ${k2048.publicKey}`, undefined, /not a PEM public key/],
    ['a certificate', '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', undefined, /not a PEM public key/],
  ])('%s', (_name, pem, bits, expected) => {
    const r = rsaPublicKeyFromPem(pem, bits);
    if (expected === 'ok') expect(r.ok).toBe(true);
    else expect(r.ok ? 'ok' : r.reason).toMatch(expected);
  });
});

describe('signingKeysOf', () => {
  it('names the field of a key that does not parse', () => {
    expect(() =>
      signingKeysOf({
        keyPairs: [],
        publicKeys: [
          { id: 'K1', encodedKey: k2048.publicKey },
          { id: 'K2', encodedKey: 'junk' },
        ],
        keyGroups: [],
      }),
    ).toThrow(/^config: edge\.publicKeys\.1\.encodedKey: not a PEM public key/);
    expect(() =>
      signingKeysOf({ keyPairs: [{ id: 'APKA1', publicKey: 'junk', signer: 'self', active: true }], publicKeys: [], keyGroups: [] }),
    ).toThrow(/^config: edge\.keyPairs\.0\.publicKey: /);
  });
});

describe('trustedKeyFor', () => {
  const keys = signingKeysOf({
    keyPairs: [
      { id: 'APKASELF', publicKey: k2048.publicKey, signer: 'self', active: true },
      { id: 'APKAOLD', publicKey: k2048.publicKey, signer: 'self', active: false },
      { id: 'APKAPARTNER', publicKey: k2048.publicKey, signer: 'partner', active: true },
    ],
    publicKeys: [
      { id: 'KA', encodedKey: k2048.publicKey },
      { id: 'KB', encodedKey: k2048.publicKey },
      { id: 'KLOOSE', encodedKey: k2048.publicKey },
    ],
    keyGroups: [
      { id: 'ga', items: ['KA'] },
      { id: 'gb', items: ['KB'] },
    ],
  });
  it.each<[string, { trustedSigners: string[]; trustedKeyGroups: string[] }, string, boolean]>([
    ['key of a trusted group', { trustedSigners: [], trustedKeyGroups: ['ga'] }, 'KA', true],
    ['key of another group', { trustedSigners: [], trustedKeyGroups: ['ga'] }, 'KB', false],
    ['key of the second trusted group', { trustedSigners: [], trustedKeyGroups: ['ga', 'gb'] }, 'KB', true],
    ['public key in no group', { trustedSigners: [], trustedKeyGroups: ['ga', 'gb'] }, 'KLOOSE', false],
    ['active pair of a trusted signer', { trustedSigners: ['self'], trustedKeyGroups: [] }, 'APKASELF', true],
    ['inactive pair', { trustedSigners: ['self'], trustedKeyGroups: [] }, 'APKAOLD', false],
    ['pair of an untrusted signer', { trustedSigners: ['self'], trustedKeyGroups: ['ga'] }, 'APKAPARTNER', false],
    ['key pair where only key groups are trusted', { trustedSigners: [], trustedKeyGroups: ['ga'] }, 'APKASELF', false],
    ['group key where only signers are trusted', { trustedSigners: ['self'], trustedKeyGroups: [] }, 'KA', false],
    ['unknown id', { trustedSigners: ['self'], trustedKeyGroups: ['ga'] }, 'NOPE', false],
  ])('%s', (_name, trust, id, expected) => {
    expect(trustedKeyFor(keys, trust, id) !== undefined).toBe(expected);
  });
});
