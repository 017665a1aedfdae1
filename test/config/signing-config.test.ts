// The signing section of the configuration: public keys, key groups and the behaviours that trust
// them, each cross-reference and each key checked when the configuration is read, with a message
// naming the field. `streamfront start` with a key that does not parse stops before any port opens.
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { canBind, freePort } from '../helpers/ports.js';
import { CLI_FROM_SOURCE, loopbackArgs } from '../helpers/server-process.js';

const work = mkdtempSync(path.join(os.tmpdir(), 'streamfront-signing-config-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pem = (modulusLength = 2048) =>
  generateKeyPairSync('rsa', {
    modulusLength,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const good = pem();
const small = pem(1024);

let n = 0;
function load(edge: Record<string, unknown>) {
  const file = path.join(work, `c${n++}.json`);
  writeFileSync(file, JSON.stringify({ edge }));
  return loadConfig(['--config', file], {}).config;
}
const keys = { publicKeys: [{ id: 'K1', name: 'one', encodedKey: good.publicKey }], keyGroups: [{ id: 'kg1', name: 'g', items: ['K1'] }] };

describe('edge.publicKeys, edge.keyGroups, trustedKeyGroups', () => {
  it('accepts a consistent set, beside 2014 key pairs', () => {
    const cfg = load({
      ...keys,
      keyPairs: [{ id: 'APKA1', publicKey: good.publicKey }],
      distributions: [
        {
          behaviors: [{ pathPattern: '/live/*', trustedKeyGroups: ['kg1'], trustedSigners: ['self'] }],
          defaultBehavior: { trustedKeyGroups: ['kg1'] },
        },
      ],
    });
    expect(cfg.edge.distributions[0]!.behaviors[0]!.trustedKeyGroups).toEqual(['kg1']);
    expect(cfg.edge.distributions[0]!.defaultBehavior.trustedKeyGroups).toEqual(['kg1']);
    expect(cfg.edge.publicKeys[0]!.id).toBe('K1');
  });

  it.each<[string, Record<string, unknown>, string]>([
    [
      'a PEM that does not parse',
      { publicKeys: [{ id: 'K1', encodedKey: 'MIIBIjANBg' }] },
      'config: edge.publicKeys.0.encodedKey: not a PEM public key',
    ],
    [
      'the README placeholder',
      { publicKeys: [{ id: 'K1', encodedKey: '-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----' }] },
      'config: edge.publicKeys.0.encodedKey: not a PEM public key',
    ],
    [
      'a truncated PEM',
      { publicKeys: [{ id: 'K1', encodedKey: good.publicKey.replace(/\n[^\n]+\n-----END/, '\n-----END') }] },
      'config: edge.publicKeys.0.encodedKey: the PEM does not decode to a public key',
    ],
    [
      'a private key',
      { publicKeys: [{ id: 'K1', encodedKey: good.privateKey }] },
      'config: edge.publicKeys.0.encodedKey: this is a private key',
    ],
    [
      'a 1024-bit key',
      { publicKeys: [{ id: 'K1', encodedKey: small.publicKey }] },
      'config: edge.publicKeys.0.encodedKey: an RSA key of 2048 bits is needed, this one has 1024 bits',
    ],
    [
      'a 2014 key pair that does not parse',
      { keyPairs: [{ id: 'APKA1', publicKey: '-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----' }] },
      'config: edge.keyPairs.0.publicKey: not a PEM public key',
    ],
    [
      'a key group naming an unknown public key',
      { ...keys, keyGroups: [{ id: 'kg1', items: ['K1', 'K9'] }] },
      'config: edge.keyGroups.0.items.1: no public key with id "K9" (add it under edge.publicKeys)',
    ],
    [
      'a behaviour trusting an unknown key group',
      { ...keys, distributions: [{ behaviors: [{ pathPattern: '/a/*', trustedKeyGroups: ['kg1', 'kg9'] }] }] },
      'config: edge.distributions.0.behaviors.0.trustedKeyGroups.1: no key group with id "kg9" (add it under edge.keyGroups)',
    ],
    [
      'the default behaviour trusting an unknown key group',
      { ...keys, distributions: [{}, { id: 'E2', domainName: 'd2.cloudfront.net', defaultBehavior: { trustedKeyGroups: ['nope'] } }] },
      'config: edge.distributions.1.defaultBehavior.trustedKeyGroups.0: no key group with id "nope"',
    ],
    [
      'two public keys with one id',
      { publicKeys: [keys.publicKeys[0], keys.publicKeys[0]] },
      'config: edge.publicKeys.1.id: duplicate key id "K1"',
    ],
    [
      'a public key with a key pair id',
      { ...keys, keyPairs: [{ id: 'K1', publicKey: good.publicKey }] },
      'config: edge.publicKeys.0.id: duplicate key id "K1" (key pairs and public keys share Key-Pair-Id)',
    ],
    [
      'two key groups with one id',
      { ...keys, keyGroups: [keys.keyGroups[0], keys.keyGroups[0]] },
      'config: edge.keyGroups.1.id: duplicate key group id "kg1"',
    ],
    ['an empty key group', { ...keys, keyGroups: [{ id: 'kg1', items: [] }] }, 'config: edge.keyGroups.0.items:'],
    [
      'a key group of six keys',
      { ...keys, keyGroups: [{ id: 'kg1', items: ['K1', 'K1', 'K1', 'K1', 'K1', 'K1'] }] },
      'config: edge.keyGroups.0.items:',
    ],
    ['an unknown field', { publicKeys: [{ ...keys.publicKeys[0], pem: 'x' }] }, 'config: edge.publicKeys.0:'],
  ])('%s', (_name, edge, message) => {
    expect(() => load(edge)).toThrow(message);
  });
});

describe('edge.ipCountries through the one CIDR matcher', () => {
  it('takes IPv6 blocks as well as IPv4 ones', () => {
    const cfg = load({
      ipCountries: [
        { cidr: '2001:db8::/32', country: 'NL' },
        { cidr: '192.0.2.0/24', country: 'FR' },
        { cidr: '198.51.100.7', country: 'DE' },
      ],
    });
    expect(cfg.edge.ipCountries).toHaveLength(3);
  });
  it.each(['192.0.2.0/33', '2001:db8::/129', 'example.com', '10.0.0.0/8/8'])('refuses %j', (cidr) => {
    expect(() => load({ ipCountries: [{ cidr, country: 'NL' }] })).toThrow(/^config: edge\.ipCountries\.0\.cidr: an IPv4 or IPv6 CIDR/);
  });
});

describe('streamfront start with a key that does not parse', () => {
  it('prints the one config line, exits 2, and no port was opened', async () => {
    const ports = { rtmp: await freePort(), origin: await freePort(), edge: await freePort() };
    const file = path.join(work, 'bad-key.json');
    writeFileSync(
      file,
      JSON.stringify({ edge: { publicKeys: [{ id: 'K1', encodedKey: '-----BEGIN PUBLIC KEY-----\n…\n-----END PUBLIC KEY-----' }] } }),
    );
    const r = spawnSync(
      process.execPath,
      [...CLI_FROM_SOURCE, 'start', '--config', file, ...loopbackArgs(ports, path.join(work, 'data'))],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status).toBe(2);
    expect(r.stderr + r.stdout).toMatch(/config: edge\.publicKeys\.0\.encodedKey: not a PEM public key/);
    expect(r.stderr + r.stdout).not.toMatch(/DECODER|error:0/);
    for (const port of Object.values(ports)) expect(await canBind(port)).toBe(true);
  }, 60_000);
});
