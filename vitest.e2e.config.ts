import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: slower end-to-end tests (headless Chromium, faults, the short soak).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // CI machines are shared and noisy: there a failed test runs once more, and fails the run only if it fails twice.
    retry: process.env.CI ? 1 : 0,
    fileParallelism: false,
    reporters: ['default'],
  },
});
