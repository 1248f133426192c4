/**
 * Migrations: drizzle's versioned migrations, then the repeatable SQL files.
 *
 * - Versioned migrations (drizzle/NNNN_*.sql, drizzle-kit) hold tables,
 *   indexes and data changes. Each runs once per database, in order.
 * - Repeatable files (REPEATABLE_FILES below, one beside the TypeScript that
 *   owns it: src/ledger/ledger.sql, src/modules/<feature>/<feature>.sql) hold
 *   the current definition of every function and view, as CREATE OR REPLACE.
 *   They run after the versioned ones, in the declared order (dependencies
 *   first), all in one transaction, as Flyway runs its R__ files: whenever
 *   one of them has changed since it was last applied, or a versioned
 *   migration has just run (it may have dropped a view to change a column).
 *   A hash of each is kept in drizzle.repeatable_migrations; /readyz
 *   (migrationsCurrent) reads it.
 * - Everything runs under one advisory lock, on one connection, so two
 *   processes starting at once do not both apply the same migration.
 *
 * Why the function bodies could leave the versioned migrations that once
 * held them (0001, 0005, 0010-0013, 0018): drizzle's migrator
 * (drizzle-orm/pg-core/dialect.js, `migrate`) runs a migration when its
 * journal `when` is later than the newest created_at recorded in
 * drizzle.__drizzle_migrations; the hash it records is never compared again.
 * - A database already migrated through 0018 therefore never runs those
 *   files again, and its functions are already those of the repeatable files,
 *   which replace them with the same definitions.
 * - A database built fresh runs the versioned migrations without their old
 *   bodies, then the repeatable files: the same tables, functions and views.
 *   A versioned migration that needs a function while it runs (0001 seeds the
 *   audit chain heads with the genesis hash) keeps a frozen copy of it, says
 *   so, and does not name it after the function.
 * test/db/sql-drift.test.ts fails when a function or view in the database
 * differs from the files or is defined in none of them, and when a
 * function's name is defined in more than one .sql file of the repository.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { sql } from 'drizzle-orm';
import { drizzle, type NodePgClient } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import type { Db } from './client.js';

const here = path.dirname(fileURLToPath(import.meta.url));

export const migrationsFolder = path.resolve(here, '../../drizzle');

/** src/, or dist/ in a production build (npm run build copies the .sql files there). */
const sourceRoot = path.resolve(here, '..');

/**
 * Every repeatable file, from src/, in the order they are applied: a file
 * comes after the files whose functions its LANGUAGE sql functions call
 * (plpgsql bodies are only resolved when they run).
 */
export const REPEATABLE_FILES = [
  'ledger/ledger.sql',
  'modules/audit/audit.sql',
  'modules/events/outbox.sql',
  'modules/grants/grants.sql',
  'modules/eligibility/eligibility.sql',
  'modules/accounts/accounts.sql',
  'modules/enrolments/enrolments.sql',
] as const;

export interface RepeatableFile {
  /** Path from src/, as in REPEATABLE_FILES. */
  file: string;
  sql: string;
  hash: string;
}

/** Session advisory lock taken while migrating ("lc_mig" in ASCII). */
const MIGRATION_LOCK = String(0x6c635f6d6967n);

export async function readRepeatableFiles(): Promise<RepeatableFile[]> {
  return Promise.all(
    REPEATABLE_FILES.map(async (file) => {
      const text = await readFile(path.join(sourceRoot, file), 'utf8');
      return { file, sql: text, hash: createHash('sha256').update(text).digest('hex') };
    }),
  );
}

/** The files do not change while the process runs: read them once. */
let repeatableFiles: Promise<RepeatableFile[]> | undefined;
function currentRepeatableFiles(): Promise<RepeatableFile[]> {
  repeatableFiles ??= readRepeatableFiles().catch((err: unknown) => {
    repeatableFiles = undefined;
    throw err;
  });
  return repeatableFiles;
}

const createRepeatableTable = `
  CREATE TABLE IF NOT EXISTS drizzle.repeatable_migrations (
    file text PRIMARY KEY,
    hash text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
  )`;

async function versionedApplied(client: pg.ClientBase): Promise<number> {
  const table = await client.query<{ present: boolean }>(
    `select to_regclass('drizzle.__drizzle_migrations') is not null as present`,
  );
  if (!table.rows[0]?.present) return 0;
  const r = await client.query<{ n: string }>('select count(*)::text as n from drizzle.__drizzle_migrations');
  return Number(r.rows[0]?.n ?? 0);
}

function sameHashes(stored: { file: string; hash: string }[], files: RepeatableFile[]): boolean {
  const byFile = new Map(stored.map((s) => [s.file, s.hash]));
  return byFile.size === files.length && files.every((f) => byFile.get(f.file) === f.hash);
}

/** Applies the repeatable files on a client inside a transaction. Returns whether it ran them. */
async function applyRepeatable(client: pg.ClientBase, files: RepeatableFile[], force: boolean): Promise<boolean> {
  await client.query(createRepeatableTable);
  const stored = await client.query<{ file: string; hash: string }>('select file, hash from drizzle.repeatable_migrations');
  if (!force && sameHashes(stored.rows, files)) return false;
  for (const f of files) {
    try {
      // One simple query per file: several statements, no parameters.
      await client.query(f.sql);
    } catch (err) {
      if (err instanceof Error) err.message = `src/${f.file}: ${err.message}`;
      throw err;
    }
  }
  await client.query('delete from drizzle.repeatable_migrations');
  await client.query(
    'insert into drizzle.repeatable_migrations (file, hash) select * from unnest($1::text[], $2::text[])',
    [files.map((f) => f.file), files.map((f) => f.hash)],
  );
  return true;
}

export async function applyMigrations(db: Db): Promise<void> {
  // drizzle's documented handle on the driver it was built on.
  const driver = (db as Db & { $client: NodePgClient }).$client;
  const client: pg.PoolClient | pg.Client = driver instanceof pg.Pool ? await driver.connect() : driver;
  let failure: unknown;
  try {
    await client.query('select pg_advisory_lock($1::bigint)', [MIGRATION_LOCK]);
    const before = await versionedApplied(client);
    await migrate(drizzle(client), { migrationsFolder });
    const ranVersioned = (await versionedApplied(client)) !== before;
    const files = await readRepeatableFiles();
    await client.query('begin');
    try {
      await applyRepeatable(client, files, ranVersioned);
      await client.query('commit');
    } catch (err) {
      await client.query('rollback');
      throw err;
    }
    await client.query('select pg_advisory_unlock($1::bigint)', [MIGRATION_LOCK]);
  } catch (err) {
    failure = err;
    throw err;
  } finally {
    // After a failure the connection is closed, not pooled: that is what
    // surely releases the session lock.
    if (driver instanceof pg.Pool) (client as pg.PoolClient).release(failure !== undefined);
    else if (failure !== undefined) await client.query('select pg_advisory_unlock_all()').catch(() => undefined);
  }
}

/**
 * True when every migration in drizzle/ has been applied to this database
 * and the repeatable files it last applied are the ones this process has.
 */
export async function migrationsCurrent(db: Db): Promise<boolean> {
  const journal = JSON.parse(await readFile(path.join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as {
    entries: { when: number }[];
  };
  const latest = Math.max(...journal.entries.map((e) => e.when));
  const result = await db.execute<{ created_at: string | null }>(
    sql`select max(created_at)::text as created_at from drizzle.__drizzle_migrations`,
  );
  const applied = result.rows[0]?.created_at;
  if (applied === null || applied === undefined || BigInt(applied) < BigInt(latest)) return false;
  const table = await db.execute<{ present: boolean }>(
    sql`select to_regclass('drizzle.repeatable_migrations') is not null as present`,
  );
  if (!table.rows[0]?.present) return false;
  const stored = await db.execute<{ file: string; hash: string }>(sql`select file, hash from drizzle.repeatable_migrations`);
  return sameHashes(stored.rows, await currentRepeatableFiles());
}
