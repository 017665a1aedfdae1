// The keys a signed URL or signed cookie may be checked with (SPEC SIG-01): today's trusted key
// groups of uploaded public keys (the `Key-Pair-Id` is the public key's id) beside the 2014
// account key pairs of trusted signers. PEM parsing lives here once, for the configuration schema
// (so a bad key is a config error naming its field) and for the runtime key table.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { fail, ok, type Result } from '../../result.js';
import { VerifiedSignatures } from './verified-signatures.js';

/** SPKI (`BEGIN PUBLIC KEY`, CloudFront's EncodedKey) or PKCS#1 (`BEGIN RSA PUBLIC KEY`), nothing around it. */
const PUBLIC_PEM_RE = /^\s*-----BEGIN (RSA )?PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END \1PUBLIC KEY-----\s*$/;

/**
 * An RSA public key from its PEM text, or why it is not one, in words a person can act on (the
 * OpenSSL decoder's own message only as a detail). `bits` pins the modulus length: CloudFront
 * accepts only 2048-bit RSA keys for a key group.
 */
export function rsaPublicKeyFromPem(pem: string, bits?: number): Result<KeyObject> {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) return fail('this is a private key: give the public key (openssl rsa -pubout)');
  if (!PUBLIC_PEM_RE.test(pem)) {
    return fail(
      'not a PEM public key: expected "-----BEGIN PUBLIC KEY-----", base64 lines, "-----END PUBLIC KEY-----" (JSON: \\n between lines)',
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (err) {
    return fail(`the PEM does not decode to a public key (${(err as Error).message})`);
  }
  if (key.asymmetricKeyType !== 'rsa') return fail(`an RSA key is needed, this is ${key.asymmetricKeyType ?? 'another kind of'} key`);
  const length = key.asymmetricKeyDetails?.modulusLength;
  if (bits !== undefined && length !== bits) return fail(`an RSA key of ${bits} bits is needed, this one has ${length} bits`);
  return ok(key);
}

/** CloudFront accepts 2048-bit RSA public keys in a key group. */
export const KEY_GROUP_RSA_BITS = 2048;

interface KeyConfig {
  keyPairs: readonly { id: string; publicKey: string; signer: string; active: boolean }[];
  publicKeys: readonly { id: string; encodedKey: string }[];
  keyGroups: readonly { id: string; items: readonly string[] }[];
}

/** Every key the edge may verify with, by the id a viewer names in `Key-Pair-Id`. */
export interface SigningKeys {
  /** 2014 account key pairs: active or not, and whose. */
  keyPairs: ReadonlyMap<string, { signer: string; active: boolean; key: KeyObject }>;
  /** Uploaded public keys by id. */
  publicKeys: ReadonlyMap<string, KeyObject>;
  /** Key group id → the ids of its public keys. */
  keyGroups: ReadonlyMap<string, ReadonlySet<string>>;
  /** Signatures these keys have verified already (by key id, so per key table). */
  verified: VerifiedSignatures;
}

/** What a cache behaviour trusts (SPEC SIG-01 signers, and today's key groups). */
export interface SigningTrust {
  trustedSigners: readonly string[];
  trustedKeyGroups: readonly string[];
}

/**
 * The runtime key table. Throws `config: edge.<field>: …` for a key that does not parse, so a
 * configuration built without the schema still fails at start-up, before anything listens.
 */
export function signingKeysOf(cfg: KeyConfig, verifiedCapacity?: number): SigningKeys {
  const keyPairs = new Map<string, { signer: string; active: boolean; key: KeyObject }>();
  cfg.keyPairs.forEach((k, i) => {
    keyPairs.set(k.id, {
      signer: k.signer,
      active: k.active,
      key: parsedOrThrow(rsaPublicKeyFromPem(k.publicKey), `keyPairs.${i}.publicKey`),
    });
  });
  const publicKeys = new Map<string, KeyObject>();
  cfg.publicKeys.forEach((k, i) => {
    publicKeys.set(k.id, parsedOrThrow(rsaPublicKeyFromPem(k.encodedKey, KEY_GROUP_RSA_BITS), `publicKeys.${i}.encodedKey`));
  });
  const keyGroups = new Map<string, ReadonlySet<string>>(cfg.keyGroups.map((g) => [g.id, new Set(g.items)]));
  return { keyPairs, publicKeys, keyGroups, verified: new VerifiedSignatures(verifiedCapacity) };
}

function parsedOrThrow(r: Result<KeyObject>, field: string): KeyObject {
  if (!r.ok) throw new Error(`config: edge.${field}: ${r.reason}`);
  return r.value;
}

/**
 * The key a behaviour accepts for `keyId`, or undefined: a public key in one of its trusted key
 * groups, or an active key pair of one of its trusted signers. A key of a group the behaviour does
 * not trust, an inactive pair and an unknown id are all refused alike.
 */
export function trustedKeyFor(keys: SigningKeys, trust: SigningTrust, keyId: string): KeyObject | undefined {
  for (const group of trust.trustedKeyGroups) {
    if (keys.keyGroups.get(group)?.has(keyId)) return keys.publicKeys.get(keyId);
  }
  const pair = keys.keyPairs.get(keyId);
  if (pair && pair.active && trust.trustedSigners.includes(pair.signer)) return pair.key;
  return undefined;
}
