// Lint (dockerfile-utils, the validator of the VS Code Docker tooling) and structure of docker/Dockerfile:
// what the image must be (production dependencies, non-root user, tini, HEALTHCHECK), checked on the parsed file.
import { readFileSync } from 'node:fs';
import type { ModifiableInstruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { OPTIONS } from '../../src/config/load.js';
import { readDockerfile, REPO_ROOT } from './dockerfile-model.js';

const df = readDockerfile();
const runs = (stage = df.runtime) =>
  stage.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getRawArgumentsContent() ?? '');

describe('docker/Dockerfile', () => {
  it('has no lint diagnostics', () => {
    expect(validate(df.text, {}).map((d) => `${d.range.start.line + 1}: ${d.message}`)).toEqual([]);
  });

  it('the linter does catch a broken file (the lint above is not vacuous)', () => {
    expect(validate('FROM node:20\nEXPOSE abc\nHEALTHCHECK --interval=x CMD true\nCMD ["node"\n', {}).length).toBeGreaterThan(0);
  });

  it('is multi-stage on a Debian-based Node 20 image: build stage npm ci + build, runtime stage last', () => {
    expect(df.stages.length).toBeGreaterThanOrEqual(2);
    for (const s of df.stages) expect(s.image).toMatch(/^node:20(\.\d+)*-(bookworm|bullseye|trixie)(-slim)?$/);
    const build = df.stages[0]!;
    expect(runs(build).join('\n')).toMatch(/npm ci\b/);
    expect(runs(build).join('\n')).toMatch(/npm run build/);
    const copyFrom = df.runtime.instructions
      .filter((i) => i.getKeyword() === 'COPY')
      .map((i) => ({
        from: (i as ModifiableInstruction)
          .getFlags()
          .find((f) => f.getName() === 'from')
          ?.getValue(),
        args: i.getArguments().map((a) => a.getValue()),
      }));
    expect(copyFrom).toContainEqual({ from: build.name, args: ['/app/dist', './dist'] });
  });

  it('runtime: ffmpeg from Debian packages, production dependencies only, dist and player copied', () => {
    const text = runs().join('\n');
    expect(text).toMatch(/apt-get install[^\n]*\bffmpeg\b/);
    expect(text).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(text).not.toMatch(/npm (i|install)\b/);
    const copies = df.runtime.instructions.filter((i) => i.getKeyword() === 'COPY').map((i) => i.getRawArgumentsContent());
    expect(copies).toContain('player ./player');
  });

  it('runs as a non-root user, with tini as init so that ffmpeg children are reaped', () => {
    expect(df.user).toBeDefined();
    expect(['root', '0', '0:0']).not.toContain(df.user);
    expect(df.entrypoint[0]).toMatch(/\/tini$/);
    expect(runs().join('\n')).toMatch(/apt-get install[^\n]*\btini\b/);
  });

  it('exposes 1935, 8080, 8000 and 8443 (edge HTTPS), keeps the data directory on a volume, and starts `node dist/cli.js start`', () => {
    expect(df.exposed.sort()).toEqual(['1935', '8000', '8080', '8443']);
    expect(df.volumes).toEqual([df.env.STREAMFRONT_DATA_DIR]);
    expect(df.cmd).toEqual(['node', 'dist/cli.js', 'start']);
  });

  it('is configured through the env variables the CLI reads (src/config/load.ts OPTIONS), listening beyond loopback', () => {
    const known = new Set([...OPTIONS.map((o) => o.env), 'NODE_ENV']);
    for (const name of Object.keys(df.env)) expect(known, `ENV ${name}`).toContain(name);
    expect(df.env).toMatchObject({
      STREAMFRONT_HOST: '0.0.0.0',
      STREAMFRONT_RTMP_PORT: '1935',
      STREAMFRONT_ORIGIN_PORT: '8080',
      STREAMFRONT_EDGE_PORT: '8000',
      FFMPEG_PATH: '/usr/bin/ffmpeg',
    });
  });

  it('has a HEALTHCHECK that runs node (no curl in the image) against /healthz', () => {
    expect(df.healthcheck).toBeDefined();
    expect(df.healthcheck!.cmd[0]).toBe('node');
    expect(df.healthcheck!.flags).toHaveProperty('interval');
    const script = readFileSync(`${REPO_ROOT}/${df.healthcheck!.cmd[1]}`, 'utf8');
    expect(script).toMatch(/\/healthz/);
    expect(runs().join('\n')).not.toMatch(/\bcurl\b/);
  });

  it('the build context keeps node_modules, dist and data out (.dockerignore)', () => {
    const ignore = readFileSync(`${REPO_ROOT}/.dockerignore`, 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const p of ['node_modules', 'dist', 'data', '.git']) expect(ignore).toContain(p);
    for (const p of ['src', 'player', 'package.json', 'package-lock.json', 'tsconfig.json', 'docker/healthcheck.mjs']) {
      expect(ignore.some((l) => l === p || l === `${p}/`)).toBe(false);
    }
  });
});
