import { defineConfig } from 'vitest/config';

// `npm run test:e2e`: slower end-to-end tests (headless Chromium, faults, the short soak).
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default'],
  },
});
