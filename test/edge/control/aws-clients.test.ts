// Integration: the real AWS clients drive the edge's control API with SigV4: the JavaScript SDK v3
// (`@aws-sdk/client-cloudfront`, waiter included) and Debian's AWS CLI (`aws cloudfront …`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CloudFrontClient,
  CreateInvalidationCommand,
  GetDistributionCommand,
  GetDistributionConfigCommand,
  GetInvalidationCommand,
  ListDistributionsCommand,
  ListInvalidationsCommand,
  waitUntilInvalidationCompleted,
} from '@aws-sdk/client-cloudfront';
import { startTestOrigin, startTestEdge, get, sleep, type TestOrigin } from '../test-origin.js';
import type { EdgeInternals } from '../../../src/edge/index.js';

const KEY = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const DIST = 'EDFDVBD6EXAMPLE';
const run = promisify(execFile);

let origin: TestOrigin;
let edge: EdgeInternals;
let endpoint: string;

const client = (secretAccessKey = KEY.secretAccessKey, region = 'us-east-1') =>
  new CloudFrontClient({ endpoint, region, credentials: { accessKeyId: KEY.accessKeyId, secretAccessKey }, maxAttempts: 1 });

const cached = async (path: string) => (await get(edge.port, path)).headers['x-cache'];

beforeAll(async () => {
  origin = await startTestOrigin();
  origin.route('*', (req, res) => {
    res.writeHead(200, { 'Cache-Control': 'max-age=3600' });
    res.end(`v@${Date.now()} ${req.url}`);
  });
  edge = await startTestEdge(origin.url, { accessKeys: [KEY], invalidation: { reportInProgressSeconds: 1.5 } });
  endpoint = `http://127.0.0.1:${edge.port}`;
});

afterAll(async () => {
  await edge?.close();
  await origin?.close();
});

describe('@aws-sdk/client-cloudfront against the edge', () => {
  it('CreateInvalidation (wildcard) → 201 with Location; GetInvalidation; the waiter sees InProgress become Completed', async () => {
    for (const p of ['/live/a.ts', '/live/sub/b.ts', '/keep.txt']) {
      await get(edge.port, p);
      expect(await cached(p)).toBe('Hit from cloudfront');
    }
    const cf = client();
    const created = await cf.send(
      new CreateInvalidationCommand({
        DistributionId: DIST,
        InvalidationBatch: { CallerReference: `sdk-${Date.now()}`, Paths: { Quantity: 1, Items: ['/live/*'] } },
      }),
    );
    expect(created.$metadata.httpStatusCode).toBe(201);
    expect(created.Location).toBe(`${endpoint}/2020-05-31/distribution/${DIST}/invalidation/${created.Invalidation!.Id}`);
    expect(created.Invalidation!.Status).toBe('InProgress');
    expect(created.Invalidation!.CreateTime).toBeInstanceOf(Date);
    expect(created.Invalidation!.InvalidationBatch!.Paths!.Items).toEqual(['/live/*']);
    expect(await cached('/live/a.ts')).toBe('Miss from cloudfront');
    expect(await cached('/live/sub/b.ts')).toBe('Miss from cloudfront');
    expect(await cached('/keep.txt')).toBe('Hit from cloudfront');
    const got = await cf.send(new GetInvalidationCommand({ DistributionId: DIST, Id: created.Invalidation!.Id }));
    expect(got.Invalidation!.Status).toBe('InProgress');
    const t0 = Date.now();
    const waited = await waitUntilInvalidationCompleted(
      { client: cf, maxWaitTime: 20, minDelay: 1, maxDelay: 1 },
      { DistributionId: DIST, Id: created.Invalidation!.Id },
    );
    expect(waited.state).toBe('SUCCESS');
    expect(Date.now() - t0).toBeGreaterThan(500); // it had to poll at least once more
  });

  it('ListInvalidations pages with MaxItems/Marker; GetDistribution (ETag, Deployed), GetDistributionConfig, ListDistributions', async () => {
    const cf = client();
    for (let i = 0; i < 2; i++) {
      await cf.send(
        new CreateInvalidationCommand({
          DistributionId: DIST,
          InvalidationBatch: { CallerReference: `page-${i}-${Date.now()}`, Paths: { Quantity: 1, Items: [`/p${i}`] } },
        }),
      );
    }
    const first = await cf.send(new ListInvalidationsCommand({ DistributionId: DIST, MaxItems: 2 }));
    expect(first.InvalidationList!.IsTruncated).toBe(true);
    expect(first.InvalidationList!.Items!.length).toBe(2);
    const second = await cf.send(
      new ListInvalidationsCommand({ DistributionId: DIST, MaxItems: 2, Marker: first.InvalidationList!.NextMarker }),
    );
    expect(second.InvalidationList!.IsTruncated).toBe(false);
    expect(second.InvalidationList!.Items!.map((s) => s.Id)).not.toContain(first.InvalidationList!.Items![0]!.Id);
    const d = await cf.send(new GetDistributionCommand({ Id: DIST }));
    expect(d.ETag).toMatch(/^E[A-Z2-7]{13}$/);
    expect(d.Distribution!.Status).toBe('Deployed');
    expect(d.Distribution!.InProgressInvalidationBatches).toBe(2);
    expect(d.Distribution!.DistributionConfig!.Origins!.Items![0]!.CustomOriginConfig!.HTTPPort).toBe(origin.port);
    expect(d.Distribution!.DistributionConfig!.DefaultCacheBehavior!.ViewerProtocolPolicy).toBe('allow-all');
    const c = await cf.send(new GetDistributionConfigCommand({ Id: DIST }));
    expect(c.ETag).toBe(d.ETag);
    expect(c.DistributionConfig!.Enabled).toBe(true);
    const all = await cf.send(new ListDistributionsCommand({}));
    expect(all.DistributionList!.Items!.map((s) => [s.Id, s.Status, s.DomainName])).toEqual([
      [DIST, 'Deployed', 'd111111abcdef8.cloudfront.net'],
    ]);
  });

  it('GetDistributionConfig (2020-05-31) reports policy ids, origin custom headers and origin groups as CloudFront does', async () => {
    const other = await startTestEdge(origin.url, {
      accessKeys: [KEY],
      distributions: [
        {
          id: 'E2POLICIESEXMPL',
          origins: [
            { id: 'primary', url: origin.url, customHeaders: { 'X-Origin-Secret': 'only-the-cdn' } },
            { id: 'secondary', url: origin.url },
          ],
          originGroups: [{ id: 'pair', members: ['primary', 'secondary'], failoverStatusCodes: [500, 503] }],
          behaviors: [
            { pathPattern: '*.m3u8', targetOriginId: 'pair', cachePolicyId: 'CachingOptimized', responseHeadersPolicyId: 'SimpleCORS' },
          ],
          defaultBehavior: { targetOriginId: 'primary' },
        },
      ],
    });
    try {
      const cf = new CloudFrontClient({
        endpoint: `http://127.0.0.1:${other.port}`,
        region: 'us-east-1',
        credentials: KEY,
        maxAttempts: 1,
      });
      const c = (await cf.send(new GetDistributionConfigCommand({ Id: 'E2POLICIESEXMPL' }))).DistributionConfig!;
      const m3u8 = c.CacheBehaviors!.Items![0]!;
      // Managed policies named in the config are reported by their AWS ids; no 2014 ForwardedValues/TTLs beside a cache policy.
      expect(m3u8.CachePolicyId).toBe('658327ea-f89d-4fab-a63d-7e88639e58f6');
      expect(m3u8.ResponseHeadersPolicyId).toBe('60669652-455b-4ae9-85a4-c4c02393f86c');
      expect(m3u8.ForwardedValues).toBeUndefined();
      expect(m3u8.MinTTL).toBeUndefined();
      expect(m3u8.TargetOriginId).toBe('pair');
      expect(c.DefaultCacheBehavior!.CachePolicyId).toBeUndefined();
      expect(c.DefaultCacheBehavior!.ForwardedValues!.QueryString).toBe(false);
      expect(c.Origins!.Items![0]!.CustomHeaders!.Items).toEqual([{ HeaderName: 'X-Origin-Secret', HeaderValue: 'only-the-cdn' }]);
      expect(c.Origins!.Items![1]!.CustomHeaders!.Quantity).toBe(0);
      const group = c.OriginGroups!.Items![0]!;
      expect(group.Id).toBe('pair');
      expect(group.FailoverCriteria!.StatusCodes!.Items).toEqual([500, 503]);
      expect(group.Members!.Items!.map((x) => x.OriginId)).toEqual(['primary', 'secondary']);
    } finally {
      await other.close();
    }
  });

  it('any region in the scope is accepted; the 2014-10-21 paths take the same SigV4 signatures', async () => {
    const eu = client(KEY.secretAccessKey, 'eu-west-3');
    expect((await eu.send(new GetDistributionCommand({ Id: DIST }))).Distribution!.Id).toBe(DIST);
    const old = client();
    old.middlewareStack.add(
      (next) => async (args) => {
        const r = args.request as { path: string };
        r.path = r.path.replace('/2020-05-31/', '/2014-10-21/');
        return next(args);
      },
      { step: 'build', name: 'use-2014-10-21' },
    );
    const created = await old.send(
      new CreateInvalidationCommand({
        DistributionId: DIST,
        InvalidationBatch: { CallerReference: `old-${Date.now()}`, Paths: { Quantity: 1, Items: ['/old'] } },
      }),
    );
    expect(created.Location).toContain('/2014-10-21/');
    const same = await client().send(new GetInvalidationCommand({ DistributionId: DIST, Id: created.Invalidation!.Id }));
    expect(same.Invalidation!.InvalidationBatch!.Paths!.Items).toEqual(['/old']);
  });

  it('a wrong secret is SignatureDoesNotMatch (403); an unknown key InvalidClientTokenId; errors carry their codes', async () => {
    const wrong = await client('wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGKEY')
      .send(new GetDistributionCommand({ Id: DIST }))
      .catch((e: unknown) => e);
    expect((wrong as Error).name).toBe('SignatureDoesNotMatch');
    expect((wrong as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode).toBe(403);
    const stranger = new CloudFrontClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDSTRANGER', secretAccessKey: KEY.secretAccessKey },
      maxAttempts: 1,
    });
    expect(((await stranger.send(new GetDistributionCommand({ Id: DIST })).catch((e: unknown) => e)) as Error).name).toBe(
      'InvalidClientTokenId',
    );
    const missing = await client()
      .send(new GetDistributionCommand({ Id: 'ENOSUCH' }))
      .catch((e: unknown) => e);
    expect((missing as Error).name).toBe('NoSuchDistribution');
    const noInv = await client()
      .send(new GetInvalidationCommand({ DistributionId: DIST, Id: 'INOSUCH' }))
      .catch((e: unknown) => e);
    expect((noInv as Error).name).toBe('NoSuchInvalidation');
    const bad = await client()
      .send(
        new CreateInvalidationCommand({
          DistributionId: DIST,
          InvalidationBatch: { CallerReference: `bad-${Date.now()}`, Paths: { Quantity: 1, Items: ['/a%zz'] } },
        }),
      )
      .catch((e: unknown) => e);
    expect((bad as Error).name).toBe('InvalidArgument');
    const qty = await client()
      .send(
        new CreateInvalidationCommand({
          DistributionId: DIST,
          InvalidationBatch: { CallerReference: `qty-${Date.now()}`, Paths: { Quantity: 2, Items: ['/a'] } },
        }),
      )
      .catch((e: unknown) => e);
    expect((qty as Error).name).toBe('InconsistentQuantities');
  });
});

// Debian's awscli package installs /usr/bin/aws; another `aws` earlier on PATH may be a different build.
const AWS_CLI = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : undefined;

describe.skipIf(!AWS_CLI)("Debian's AWS CLI against the edge", () => {
  const home = mkdtempSync(join(tmpdir(), 'streamfront-awscli-'));
  const env = (secret = KEY.secretAccessKey) => ({
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: home,
    AWS_ACCESS_KEY_ID: KEY.accessKeyId,
    AWS_SECRET_ACCESS_KEY: secret,
    AWS_DEFAULT_REGION: 'us-west-2',
    AWS_CONFIG_FILE: join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, 'none'),
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const aws = async (args: string[], secret?: string) => {
    const { stdout } = await run(AWS_CLI!, ['cloudfront', ...args, '--endpoint-url', endpoint, '--output', 'json'], {
      env: env(secret),
      timeout: 60_000,
    });
    return stdout.trim() ? JSON.parse(stdout) : {};
  };
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('create-invalidation, get-invalidation, list-invalidations, wait invalidation-completed, get-distribution', async () => {
    await get(edge.port, '/cli/x.ts');
    expect(await cached('/cli/x.ts')).toBe('Hit from cloudfront');
    const created = await aws(['create-invalidation', '--distribution-id', DIST, '--paths', '/cli/*', '/other.txt']);
    expect(created.Location).toBe(`${endpoint}/2020-05-31/distribution/${DIST}/invalidation/${created.Invalidation.Id}`);
    expect(created.Invalidation.InvalidationBatch.Paths.Items).toEqual(['/cli/*', '/other.txt']);
    expect(created.Invalidation.InvalidationBatch.CallerReference).toMatch(/^cli-/);
    expect(await cached('/cli/x.ts')).toBe('Miss from cloudfront');
    const got = await aws(['get-invalidation', '--distribution-id', DIST, '--id', created.Invalidation.Id]);
    expect(got.Invalidation.Id).toBe(created.Invalidation.Id);
    const list = await aws(['list-invalidations', '--distribution-id', DIST]);
    expect(list.InvalidationList.Items.map((s: { Id: string }) => s.Id)).toContain(created.Invalidation.Id);
    // The CLI's waiter polls every 20 s; once the record is Completed it returns on the first poll.
    await sleep(1600);
    await aws(['wait', 'invalidation-completed', '--distribution-id', DIST, '--id', created.Invalidation.Id]);
    expect((await aws(['get-invalidation', '--distribution-id', DIST, '--id', created.Invalidation.Id])).Invalidation.Status).toBe(
      'Completed',
    );
    const d = await aws(['get-distribution', '--id', DIST]);
    expect(d.ETag).toMatch(/^E[A-Z2-7]{13}$/);
    expect(d.Distribution.Status).toBe('Deployed');
    await aws(['wait', 'distribution-deployed', '--id', DIST]);
    const listed = await aws(['list-distributions']);
    expect(listed.DistributionList.Items[0].Id).toBe(DIST);
  });

  it('a wrong secret fails with SignatureDoesNotMatch', async () => {
    const err = (await aws(['get-distribution', '--id', DIST], 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYWRONGKEY').catch((e: unknown) => e)) as {
      code: number;
      stderr: string;
    };
    expect(err.code).not.toBe(0);
    expect(err.stderr).toContain('SignatureDoesNotMatch');
  });
});
