import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { connect } from '../../src/db/client.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { createLogger } from '../../src/lib/logger.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a maintenance database on the test server (for CREATE DATABASE). */
    adminUrl: string;
    /** Migrated database that every test file clones. Nobody connects to it. */
    templateDatabase: string;
  }
}

const logger = createLogger('warn');

/** Replaces the database name in a postgres URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/**
 * One PostgreSQL for the whole run: the server at TEST_DATABASE_URL, or an
 * embedded one in a temporary folder. The real migrations build a template
 * database once; each test file clones it (about 30 ms).
 */
export default async function setup(project: TestProject) {
  let embedded: EmbeddedServer | undefined;
  let tmp: string | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    tmp = await mkdtemp(path.join(os.tmpdir(), 'lc-test-'));
    await import('node:fs/promises').then((fs) => fs.chmod(tmp!, 0o755));
    embedded = await startEmbeddedPostgres({ dataDir: tmp, logger, fast: true, ephemeral: true });
    adminUrl = embedded.url('postgres');
  }
  const templateDatabase = `lc_template_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${templateDatabase}`);
  const templateDb = connect(withDatabase(adminUrl, templateDatabase), { poolSize: 1, logger });
  await applyMigrations(templateDb.db);
  await templateDb.close();
  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);

  return async () => {
    const leftovers = await admin.query<{ datname: string }>(
      `select datname from pg_database where datname like 'lc_test_%' or datname = $1`,
      [templateDatabase],
    );
    for (const { datname } of leftovers.rows) await admin.query(`drop database if exists ${datname} with (force)`);
    await admin.end();
    await embedded?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  };
}
