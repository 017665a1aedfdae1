// The storage and recording settings: flags, environment and config file, and their refusals.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { openStore } from '../../src/storage/open-store.js';

describe('storage and recording configuration', () => {
  it('defaults: the data directory, recording off, no admin token', () => {
    const { config } = loadConfig([], {});
    expect(config.storage.store).toBe('data-dir');
    expect(config.storage.s3.forcePathStyle).toBe(true);
    expect(config.packager.record).toBe(false);
    expect(config.origin.adminToken).toBeUndefined();
    expect(openStore(config).description).toBe(`dir:${path.resolve('./data')}`);
  });

  it('takes the S3 flags', () => {
    const { config } = loadConfig(
      [
        '--store',
        's3://media-bucket/origin-1',
        '--s3-endpoint',
        'http://127.0.0.1:4568',
        '--s3-region',
        'eu-west-1',
        '--s3-access-key-id',
        'AKID',
        '--s3-secret-access-key',
        'SECRET',
        '--record',
      ],
      {},
    );
    expect(config.storage).toMatchObject({
      store: 's3://media-bucket/origin-1',
      s3: { endpoint: 'http://127.0.0.1:4568', region: 'eu-west-1', accessKeyId: 'AKID', secretAccessKey: 'SECRET' },
    });
    expect(config.packager.record).toBe(true);
    expect(openStore(config).description).toBe('s3://media-bucket/origin-1');
  });

  it.each([
    [['--record'], true],
    [['--record', 'false'], false],
    [['--record=true'], true],
    [['--record', 'start'], true],
  ])('a bare --record means yes: %j', (argv, want) => {
    expect(loadConfig(argv, {}).config.packager.record).toBe(want);
  });

  it('takes credentials from the config file, the environment over it', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'streamfront-cfg-'));
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'c.json');
    fs.writeFileSync(file, JSON.stringify({ storage: { store: 's3://b12', s3: { accessKeyId: 'FILE', secretAccessKey: 'FILESECRET' } } }));
    const { config } = loadConfig(['--config', file], { STREAMFRONT_S3_REGION: 'ap-south-1', STREAMFRONT_RECORD: 'yes' });
    expect(config.storage.s3).toMatchObject({ accessKeyId: 'FILE', secretAccessKey: 'FILESECRET', region: 'ap-south-1' });
    expect(config.packager.record).toBe(true);
  });

  it.each([
    [['--store', 'http://bucket/x'], /storage\.store/],
    [['--store', 's3://UPPER'], /storage\.store/],
    [['--s3-endpoint', 'not a url'], /storage\.s3\.endpoint/],
    [['--s3-access-key-id', 'only-one'], /storage\.s3.*both/],
    [['--record', '--record=maybe'], /expected true or false/],
    [['--admin-token', 'short'], /origin\.adminToken/],
  ])('refuses %j with one line naming the field', (argv, message) => {
    expect(() => loadConfig(argv, {})).toThrow(message);
  });
});
