// SPEC SIG-02..05: signature verification against our canned policy and the guide's rules.
import { describe, expect, it } from 'vitest';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { getSignedUrl } from '@aws-sdk/cloudfront-signer';
import {
  cannedPolicy,
  checkCustomPolicy,
  fromUrlSafeBase64,
  loadSigningKey,
  toUrlSafeBase64,
  verifySignedUrl,
} from '../../src/edge/signed-urls.js';

const pair = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  publicKeyEncoding: { type: 'spki', format: 'pem' },
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
});
const keys = new Map([
  ['APKA9ONS7QCOWEXAMPLE', loadSigningKey({ id: 'APKA9ONS7QCOWEXAMPLE', signer: 'self', active: true, publicKey: pair.publicKey })],
]);
const sign = (text: string) => toUrlSafeBase64(createSign('RSA-SHA1').update(text).sign(pair.privateKey));
const resource = 'http://d1111111abcdef8.cloudfront.net/horizon.jpg?size=large&license=yes';

describe('SIG-02 canned policy', () => {
  it('is rebuilt exactly as the guide shows (no whitespace, bare integer epoch)', () => {
    expect(cannedPolicy(resource, 1357034400)).toBe(
      '{"Statement":[{"Resource":"http://d1111111abcdef8.cloudfront.net/horizon.jpg?size=large&license=yes","Condition":{"DateLessThan":{"AWS:EpochTime":1357034400}}}]}',
    );
  });
  it('verifies our own signature (openssl sha1 -sign | base64 | tr "+=/" "-_~") before expiry only', () => {
    const q = `size=large&license=yes&Expires=1357034400&Signature=${sign(cannedPolicy(resource, 1357034400))}&Key-Pair-Id=APKA9ONS7QCOWEXAMPLE`;
    const input = { resources: [resource], rawQuery: q, viewerIp: '192.0.2.1', trustedSigners: ['self'], keys };
    expect(verifySignedUrl({ ...input, now: 1357034399 })).toEqual({ ok: true });
    expect(verifySignedUrl({ ...input, now: 1357034400 })).toMatchObject({ ok: false, reason: 'expired' });
  });
  it('verifies a URL from @aws-sdk/cloudfront-signer (independent implementation)', () => {
    const url = new URL(
      getSignedUrl({
        url: resource,
        keyPairId: 'APKA9ONS7QCOWEXAMPLE',
        privateKey: pair.privateKey,
        dateLessThan: new Date(1357034400 * 1000),
      }),
    );
    expect(
      verifySignedUrl({
        resources: [resource],
        rawQuery: url.search.slice(1),
        viewerIp: '192.0.2.1',
        now: 1357000000,
        trustedSigners: ['self'],
        keys,
      }),
    ).toEqual({ ok: true });
  });
  it('is refused for untrusted signers', () => {
    const q = `Expires=1357034400&Signature=${sign(cannedPolicy(resource, 1357034400))}&Key-Pair-Id=APKA9ONS7QCOWEXAMPLE`;
    expect(
      verifySignedUrl({ resources: [resource], rawQuery: q, viewerIp: '192.0.2.1', now: 1, trustedSigners: ['someone-else'], keys }).ok,
    ).toBe(false);
  });
});

describe('SIG-03 custom policy conditions', () => {
  const now = 1_700_000_000;
  const st = (c: object, r: string | undefined = 'http*://d111111abcdef8.cloudfront.net/*game_download.zip*') => ({
    Statement: [{ ...(r ? { Resource: r } : {}), Condition: c }],
  });
  const res = ['http://d111111abcdef8.cloudfront.net/a/game_download.zip?x=1'];
  it('DateLessThan is required', () => expect(checkCustomPolicy(st({}), { resources: res, viewerIp: '1.2.3.4', now }).ok).toBe(false));
  it('wildcard resources match', () => {
    expect(checkCustomPolicy(st({ DateLessThan: { 'AWS:EpochTime': now + 1 } }), { resources: res, viewerIp: '1.2.3.4', now }).ok).toBe(
      true,
    );
    expect(
      checkCustomPolicy(st({ DateLessThan: { 'AWS:EpochTime': now + 1 } }, 'http://d111111abcdef8.cloudfront.net/training/*'), {
        resources: res,
        viewerIp: '1.2.3.4',
        now,
      }).ok,
    ).toBe(false);
    expect(
      checkCustomPolicy(st({ DateLessThan: { 'AWS:EpochTime': now + 1 } }, 'http://*'), { resources: res, viewerIp: '1.2.3.4', now }).ok,
    ).toBe(true);
    expect(
      checkCustomPolicy(st({ DateLessThan: { 'AWS:EpochTime': now + 1 } }, undefined), { resources: res, viewerIp: '1.2.3.4', now }).ok,
    ).toBe(true);
  });
  it('DateGreaterThan and IpAddress (single CIDR)', () => {
    const c = {
      DateLessThan: { 'AWS:EpochTime': now + 100 },
      DateGreaterThan: { 'AWS:EpochTime': now - 100 },
      IpAddress: { 'AWS:SourceIp': '192.0.2.0/24' },
    };
    expect(checkCustomPolicy(st(c), { resources: res, viewerIp: '192.0.2.77', now }).ok).toBe(true);
    expect(checkCustomPolicy(st(c), { resources: res, viewerIp: '192.0.3.1', now }).ok).toBe(false);
    expect(checkCustomPolicy(st(c), { resources: res, viewerIp: '192.0.2.77', now: now - 200 }).ok).toBe(false);
  });
  it('URL-safe base64 round trip (SIG-04 swaps)', () => {
    const b = Buffer.from([0xfb, 0xff, 0xfe, 0x01]);
    const s = toUrlSafeBase64(b);
    expect(s).not.toMatch(/[+=/]/);
    expect(fromUrlSafeBase64(s).equals(b)).toBe(true);
  });
});
