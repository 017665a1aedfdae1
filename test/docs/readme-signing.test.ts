// The README's signing example, run as a reader would: its streamfront.json as printed (which
// names the key's field when the PEM is not written in yet), its shell commands (openssl makes the
// key pair, node writes the PEM into the file), then an edge started from that file refuses an
// unsigned request and serves one with cookies signed by @aws-sdk/cloudfront-signer.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getSignedCookies } from '@aws-sdk/cloudfront-signer';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startEdge } from '../../src/edge/index.js';
import { silentLogger } from '../../src/log.js';
import { get, startTestOrigin } from '../edge/test-origin.js';
import { REPO_ROOT } from '../helpers/server-process.js';

const readme = readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, body: m[2]! }));
const example = blocks.find((b) => b.lang === 'json' && b.body.includes('"publicKeys"'));
const commands = blocks.find((b) => b.lang === 'sh' && b.body.includes('openssl genrsa'));
const work = mkdtempSync(path.join(os.tmpdir(), 'streamfront-readme-signing-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('README signing example', () => {
  it('has the config and the commands', () => {
    expect(example, 'a json block with publicKeys').toBeDefined();
    expect(commands, 'an sh block with openssl genrsa').toBeDefined();
  });

  it('as printed, before the key is written in, fails with one line naming the key', () => {
    const file = path.join(work, 'as-printed.json');
    writeFileSync(file, example!.body);
    expect(() => loadConfig(['--config', file], {})).toThrow(/^config: edge\.publicKeys\.0\.encodedKey: not a PEM public key/);
  });

  it('after its commands, starts an edge that needs signed cookies and accepts getSignedCookies ones', async () => {
    const file = path.join(work, 'streamfront.json');
    writeFileSync(file, example!.body);
    const run = spawnSync('bash', ['-euo', 'pipefail', '-c', commands!.body], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const { config } = loadConfig(
      ['--config', file, '--edge-port', '0', '--edge-https-port', '0', '--data-dir', path.join(work, 'data')],
      {},
    );
    config.edge.logs.enabled = false;
    const origin = await startTestOrigin();
    origin.route('*', (req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'max-age=60' });
      res.end(`origin saw ${req.url}`);
    });
    const edge = await startEdge({ config, log: silentLogger(), originUrl: origin.url });
    try {
      const refused = await get(edge.port, '/private/talk/playlist.m3u8');
      expect(refused.status).toBe(403);
      expect(refused.body.toString()).toContain('<Code>MissingKey</Code>');
      const cookies = getSignedCookies({
        keyPairId: config.edge.publicKeys[0]!.id,
        privateKey: readFileSync(path.join(work, 'private_key.pem'), 'utf8'),
        policy: JSON.stringify({
          Statement: [
            {
              Resource: 'http://localhost:8000/private/talk/*',
              Condition: { DateLessThan: { 'AWS:EpochTime': Math.floor(Date.now() / 1000) + 600 } },
            },
          ],
        }),
      }) as unknown as Record<string, string>;
      const cookie = Object.entries(cookies)
        .map(([n, v]) => `${n}=${v}`)
        .join('; ');
      // Signed for localhost:8000, the README's address; this edge listens elsewhere, so the Host says it.
      edge.server.localAuthorities = ['localhost:8000'];
      const served = await get(edge.port, '/private/talk/playlist.m3u8', { host: 'localhost:8000', cookie });
      expect(served.status).toBe(200);
      expect(served.body.toString()).toBe('origin saw /private/talk/playlist.m3u8');
    } finally {
      await edge.close();
      await origin.close();
    }
  });
});
