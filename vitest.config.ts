import { defineConfig } from 'vitest/config';

// `npm test`: unit tests and integration tests with real ffmpeg, RTMP and HTTP on 127.0.0.1.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/e2e/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // CI machines are shared and noisy: there a failed test runs once more, and fails the run only if it fails twice.
    retry: process.env.CI ? 1 : 0,
    reporters: ['default'],
  },
});
