// Viewer HTTPS certificates (SPEC TLS-02): the configured PEM files, per-host certificates chosen by
// SNI, or a self-signed certificate made once and kept in the data directory so that a browser
// exception or a pinned test certificate survives restarts.
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { EdgeTlsConfig } from '../config/edge.js';
import { fail, ok, type Result } from '../result.js';

export interface TlsIdentity {
  cert: string;
  key: string;
}

export interface ViewerTls {
  identity: TlsIdentity;
  sni: { hosts: string[]; identity: TlsIdentity }[];
  /** Where the default certificate came from (logged at start-up). */
  source: 'configured' | 'self-signed (new)' | 'self-signed (kept)';
  certFile: string;
}

/** The names a self-signed certificate covers: loopback plus each distribution's domain name. */
export function selfSignedNames(domainNames: readonly string[]): string[] {
  return [...new Set(['localhost', '127.0.0.1', '::1', ...domainNames])];
}

function readPem(label: string, file: string): Result<string> {
  try {
    return ok(readFileSync(file, 'utf8'));
  } catch (err) {
    return fail(`${label}: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

/** A certificate and key that belong together, or why not (the message names the config field). */
export function checkIdentity(label: string, identity: TlsIdentity): Result<X509Certificate> {
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(identity.cert);
  } catch (err) {
    return fail(`${label}.cert: not a PEM certificate (${(err as Error).message})`);
  }
  let matches: boolean;
  try {
    matches = x509.checkPrivateKey(createPrivateKey(identity.key));
  } catch (err) {
    return fail(`${label}.key: not an unencrypted PEM private key (${(err as Error).message})`);
  }
  if (!matches) return fail(`${label}.key does not belong to ${label}.cert`);
  return ok(x509);
}

function loadIdentity(label: string, certFile: string, keyFile: string): Result<TlsIdentity> {
  const cert = readPem(`${label}.cert`, certFile);
  if (!cert.ok) return cert;
  const key = readPem(`${label}.key`, keyFile);
  if (!key.ok) return key;
  const identity = { cert: cert.value, key: key.value };
  const checked = checkIdentity(label, identity);
  return checked.ok ? ok(identity) : checked;
}

/** Whether a kept certificate still serves: not expiring within a day and naming every host. */
export function certificateCovers(x509: X509Certificate, names: readonly string[], now = Date.now()): boolean {
  if (Date.parse(x509.validTo) - now < 86_400_000 || Date.parse(x509.validFrom) > now) return false;
  const san = (x509.subjectAltName ?? '').split(',').map((s) => s.trim());
  return names.every(
    (n) =>
      san.includes(isIP(n) ? `IP Address:${n === '::1' ? '0:0:0:0:0:0:0:1' : n}` : `DNS:${n}`) ||
      (isIP(n) === 6 && san.includes(`IP Address:${n}`)),
  );
}

/** The self-signed identity under `dir`: kept from an earlier start when it still covers `names`, else made anew. */
export async function selfSignedIdentity(
  dir: string,
  names: readonly string[],
): Promise<{ identity: TlsIdentity; created: boolean; certFile: string }> {
  const certFile = join(dir, 'self-signed-cert.pem');
  const keyFile = join(dir, 'self-signed-key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) {
    const identity = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
    const checked = checkIdentity('self-signed', identity);
    if (checked.ok && certificateCovers(checked.value, names)) return { identity, created: false, certFile };
  }
  const notBeforeDate = new Date(Date.now() - 60_000);
  // Loaded only when a certificate is made: most starts reuse the kept one.
  const { generate } = await import('selfsigned');
  const pems = await generate(
    [
      { name: 'commonName', value: 'localhost' },
      { name: 'organizationName', value: 'streamfront edge (self-signed)' },
    ],
    {
      keySize: 2048, // TLS-02: RSA keys of at most 2048 bits
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate: new Date(notBeforeDate.getTime() + 825 * 86_400_000),
      extensions: [
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
        { name: 'extKeyUsage', serverAuth: true },
        { name: 'subjectAltName', altNames: names.map((n) => (isIP(n) ? { type: 7 as const, ip: n } : { type: 2 as const, value: n })) },
      ],
    },
  );
  mkdirSync(dir, { recursive: true });
  // Written beside and renamed, so a crash mid-write never leaves a half file that a restart reuses.
  writeFileSync(`${keyFile}.tmp`, pems.private, { mode: 0o600 });
  chmodSync(`${keyFile}.tmp`, 0o600);
  writeFileSync(`${certFile}.tmp`, pems.cert);
  renameSync(`${keyFile}.tmp`, keyFile);
  renameSync(`${certFile}.tmp`, certFile);
  return { identity: { cert: pems.cert, key: pems.private }, created: true, certFile };
}

/** The viewer certificates of the configuration; a bad file rejects with a message naming the field. */
export async function viewerTls(cfg: EdgeTlsConfig, dataDir: string, domainNames: readonly string[]): Promise<ViewerTls> {
  const sni: ViewerTls['sni'] = [];
  for (const [i, entry] of cfg.sni.entries()) {
    const loaded = loadIdentity(`edge.tls.sni[${i}]`, entry.cert, entry.key);
    if (!loaded.ok) throw new Error(loaded.reason);
    sni.push({ hosts: entry.hosts, identity: loaded.value });
  }
  if (cfg.cert !== undefined && cfg.key !== undefined) {
    const loaded = loadIdentity('edge.tls', cfg.cert, cfg.key);
    if (!loaded.ok) throw new Error(loaded.reason);
    return { identity: loaded.value, sni, source: 'configured', certFile: cfg.cert };
  }
  const made = await selfSignedIdentity(join(dataDir, 'edge-tls'), selfSignedNames(domainNames));
  return { identity: made.identity, sni, source: made.created ? 'self-signed (new)' : 'self-signed (kept)', certFile: made.certFile };
}

/**
 * SNI name → index of the entry that serves it (exact names first, then the longest `*.` wildcard,
 * which covers exactly one label as in RFC 6125 §6.4.3), or -1 for the default certificate.
 */
export function sniSelector(entries: readonly { hosts: readonly string[] }[]): (servername: string) => number {
  const exact = new Map<string, number>();
  const wildcards: [string, number][] = [];
  entries.forEach((e, i) => {
    for (const h of e.hosts) {
      const host = h.toLowerCase();
      if (host.startsWith('*.')) wildcards.push([host.slice(1), i]);
      else if (!exact.has(host)) exact.set(host, i);
    }
  });
  wildcards.sort((a, b) => b[0].length - a[0].length);
  return (servername) => {
    const name = servername.toLowerCase().replace(/\.$/, '');
    const hit = exact.get(name);
    if (hit !== undefined) return hit;
    for (const [suffix, i] of wildcards) {
      if (name.endsWith(suffix) && !name.slice(0, -suffix.length).includes('.') && name.length > suffix.length) return i;
    }
    return -1;
  };
}
