import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * The pages in a real browser (npm run test:browser): playwright-core drives
 * the system Chromium (`chromium` on PATH) against the service started as a
 * child process, on the embedded PostgreSQL with the demo identity provider.
 * Separate from `npm test`, which needs no browser.
 */
export default defineConfig({
  root,
  test: {
    include: ['test/browser/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
