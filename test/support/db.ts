import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';
import { connect, type Database } from '../../src/db/client.js';
import { createLogger } from '../../src/lib/logger.js';
import { withDatabase } from './global-setup.js';
import { perFile } from './per-file.js';

export interface TestDatabase extends Database {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, migrated database of its own, cloned from the template. */
export async function createTestDatabase(options: { poolSize?: number } = {}): Promise<TestDatabase> {
  const adminUrl = inject('adminUrl');
  const name = `lc_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`create database ${name} template ${inject('templateDatabase')}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, name);
  const database = connect(url, { poolSize: options.poolSize ?? 20, logger: createLogger('silent') });
  return {
    ...database,
    url,
    name,
    async drop() {
      await database.close();
      const a = new pg.Client({ connectionString: adminUrl });
      await a.connect();
      try {
        await a.query(`drop database if exists ${name} with (force)`);
      } finally {
        await a.end();
      }
    },
  };
}

/** A database of the test file's own: created before its tests, dropped after them. */
export function useTestDatabase(options: { poolSize?: number } = {}): TestDatabase {
  return perFile(() => createTestDatabase(options), (database) => database.drop());
}
