import { defineConfig } from 'vitest/config';

// The end-to-end run: the real system (scripts/start.mjs, as `npm start` runs it) and
// Debian's Chromium driven by playwright-core. One file, one system, in order.
export default defineConfig({
  test: {
    environment: 'node',
    include: ['e2e/**/*.e2e.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 300_000,
    sequence: { concurrent: false },
  },
});
