import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/**
 * Issue 7: crash and database-loss runs. Each file starts its own embedded
 * PostgreSQL (the database-loss test stops and restarts it) and the service
 * as a child process, so there is no global setup. Files run one at a time:
 * they kill processes and time things.
 */
export default defineConfig({
  root,
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
