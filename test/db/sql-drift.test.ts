import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { describe, expect, inject, it } from 'vitest';
import { connect } from '../../src/db/client.js';
import { applyMigrations, migrationsCurrent, readRepeatableFiles, REPEATABLE_FILES } from '../../src/db/migrate.js';
import { createLogger } from '../../src/lib/logger.js';
import { useTestDatabase } from '../support/db.js';
import { withDatabase } from '../support/global-setup.js';

const database = useTestDatabase({ poolSize: 1 });
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

type Definitions = Map<string, string>;

/** Every function and view of the public schema, by signature or name, with its definition. */
async function definitions(client: pg.ClientBase): Promise<Definitions> {
  const r = await client.query<{ k: string; v: string }>(`
    select 'function ' || p.oid::regprocedure::text as k, pg_get_functiondef(p.oid) as v
      from pg_proc p
     where p.pronamespace = 'public'::regnamespace and p.prokind in ('f', 'p')
       and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
    union all
    select 'view ' || c.relname, pg_get_viewdef(c.oid)
      from pg_class c
     where c.relnamespace = 'public'::regnamespace and c.relkind in ('v', 'm')
       and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')`);
  return new Map(r.rows.map((row) => [row.k, row.v]));
}

/**
 * What the repeatable files define, each object with the file that defined
 * it: in a transaction that is rolled back, every function and view of the
 * database is dropped and the files are applied in their order.
 */
async function definitionsFromFiles(client: pg.ClientBase): Promise<{ defs: Definitions; fileOf: Map<string, string> }> {
  const files = await readRepeatableFiles();
  await client.query('begin');
  try {
    const views = await client.query<{ name: string }>(
      `select format('%I', c.relname) as name from pg_class c where c.relnamespace = 'public'::regnamespace and c.relkind = 'v'`,
    );
    for (const v of views.rows) await client.query(`drop view if exists public.${v.name} cascade`);
    const functions = await client.query<{ sig: string }>(
      `select p.oid::regprocedure::text as sig from pg_proc p
        where p.pronamespace = 'public'::regnamespace and p.prokind in ('f', 'p')
          and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')`,
    );
    for (const f of functions.rows) await client.query(`drop routine if exists ${f.sig} cascade`);
    expect((await definitions(client)).size).toBe(0);
    const fileOf = new Map<string, string>();
    for (const f of files) {
      const before = await definitions(client);
      await client.query(f.sql);
      for (const k of (await definitions(client)).keys()) if (!before.has(k)) fileOf.set(k, f.file);
    }
    return { defs: await definitions(client), fileOf };
  } finally {
    await client.query('rollback');
  }
}

async function sqlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(root, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.sql'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)))
    .sort();
}

/** CREATE FUNCTION/PROCEDURE/VIEW statements of a file: the object's bare name and the body between dollar quotes. */
function createsIn(text: string): { kind: string; schema: string | undefined; name: string }[] {
  const found: { kind: string; schema: string | undefined; name: string }[] = [];
  const re = /\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+|MATERIALIZED\s+)?(FUNCTION|PROCEDURE|VIEW)\s+(?:"?(\w+)"?\.)?"?(\w+)"?/gi;
  for (const m of text.matchAll(re)) found.push({ kind: m[1]!.toLowerCase(), schema: m[2]?.toLowerCase(), name: m[3]!.toLowerCase() });
  return found;
}

function dollarBodies(text: string): string[] {
  const bodies: string[] = [];
  for (const m of text.matchAll(/(\$\w*\$)([\s\S]*?)\1/g)) bodies.push(m[2]!.trim());
  return bodies;
}

const bareName = (key: string) => key.replace(/^(function|view) /, '').replace(/\(.*$/, '');

describe('SQL functions and views: one current copy, beside its owner', () => {
  it('when the repeatable files are applied to the database with its functions and views dropped, then each comes back exactly as it was, and none is missing from the files', async () => {
    const client = await database.pool.connect();
    try {
      const inDatabase = await definitions(client);
      const { defs: fromFiles, fileOf } = await definitionsFromFiles(client);
      expect(inDatabase.size).toBeGreaterThan(0);
      const inNoFile = [...inDatabase.keys()].filter((k) => !fromFiles.has(k)).sort();
      expect(inNoFile, 'defined in the database but in no repeatable file (move it into the owner\'s .sql file)').toEqual([]);
      const notInDatabase = [...fromFiles.keys()].filter((k) => !inDatabase.has(k)).sort();
      expect(notInDatabase, 'defined by a repeatable file but not in the database').toEqual([]);
      for (const [k, def] of inDatabase) {
        expect(fromFiles.get(k), `${k} in the database differs from ${fileOf.get(k) ?? 'the files'}`).toBe(def);
      }
      // Every file defines something, and everything was defined by one of them.
      expect(new Set(fileOf.values())).toEqual(new Set(REPEATABLE_FILES));
      expect(fileOf.size).toBe(inDatabase.size);
    } finally {
      client.release();
    }
  });

  it('when every .sql file of the repository is read, then each function and view is created in exactly one, its owner\'s repeatable file, and no dollar-quoted body appears twice', async () => {
    const files = [...(await sqlFiles('src')), ...(await sqlFiles('drizzle'))];
    expect(files.filter((f) => f.startsWith('src/')).sort()).toEqual(REPEATABLE_FILES.map((f) => `src/${f}`).sort());
    const texts = new Map(await Promise.all(files.map(async (f) => [f, await readFile(path.join(root, f), 'utf8')] as const)));

    const client = await database.pool.connect();
    let names: string[];
    try {
      names = [...new Set([...(await definitions(client)).keys()].map(bareName))].sort();
    } finally {
      client.release();
    }
    const definedIn = new Map<string, string[]>();
    for (const [file, text] of texts) {
      for (const c of createsIn(text)) {
        if (c.schema === 'pg_temp') continue; // a migration's own frozen copy, gone when its session ends
        definedIn.set(c.name, [...(definedIn.get(c.name) ?? []), file]);
      }
    }
    for (const name of names) {
      const where = definedIn.get(name) ?? [];
      expect(where, `${name} is created in ${where.length} files`).toHaveLength(1);
      expect(REPEATABLE_FILES.map((f) => `src/${f}`), `${name} is created outside the repeatable files`).toContain(where[0]);
    }
    expect([...definedIn.keys()].filter((n) => !names.includes(n)).sort(), 'created in a file but not in the database').toEqual([]);

    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const [file, text] of texts) {
      for (const body of dollarBodies(text)) {
        const first = seen.get(body);
        if (first !== undefined) twice.push(`${first} and ${file}: ${body.slice(0, 60)}`);
        else seen.set(body, file);
      }
    }
    expect(twice, 'the same SQL body in two places').toEqual([]);
  });
});

describe('applyMigrations: versioned, then repeatable', () => {
  it('when the migrations run again on a current database, then nothing is applied again and they stay current', async () => {
    const db = database.db;
    const before = await db.execute<{ file: string; applied_at: string }>(
      sql`select file, applied_at::text from drizzle.repeatable_migrations order by file`,
    );
    await applyMigrations(db);
    const after = await db.execute<{ file: string; applied_at: string }>(
      sql`select file, applied_at::text from drizzle.repeatable_migrations order by file`,
    );
    expect(after.rows).toEqual(before.rows);
    expect(after.rows.map((r) => r.file).sort()).toEqual([...REPEATABLE_FILES].sort());
    expect(await migrationsCurrent(db)).toBe(true);
  });

  it('when a function was changed by hand and a repeatable file is recorded with another hash, then the migrations are not current, and the next run puts the file\'s definition back', async () => {
    const db = database.db;
    const original = await db.execute<{ def: string }>(sql`select pg_get_functiondef('ledger_fold_deltas(integer)'::regprocedure) as def`);
    await db.execute(sql.raw(`CREATE OR REPLACE FUNCTION ledger_fold_deltas(p_limit integer) RETURNS integer LANGUAGE sql AS $$ SELECT 0 $$`));
    await db.execute(sql`update drizzle.repeatable_migrations set hash = 'stale' where file = 'ledger/ledger.sql'`);
    expect(await migrationsCurrent(db)).toBe(false);

    await applyMigrations(db);
    expect(await migrationsCurrent(db)).toBe(true);
    const restored = await db.execute<{ def: string }>(sql`select pg_get_functiondef('ledger_fold_deltas(integer)'::regprocedure) as def`);
    expect(restored.rows[0]!.def).toBe(original.rows[0]!.def);
  });

  it('when two processes migrate an empty database at once, then each migration is applied once and the database is current', async () => {
    const adminUrl = inject('adminUrl');
    const name = `lc_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`create database ${name}`);
      const logger = createLogger('silent');
      const a = connect(withDatabase(adminUrl, name), { poolSize: 2, logger });
      const b = connect(withDatabase(adminUrl, name), { poolSize: 2, logger });
      try {
        await Promise.all([applyMigrations(a.db), applyMigrations(b.db)]);
        const journal = JSON.parse(await readFile(path.join(root, 'drizzle/meta/_journal.json'), 'utf8')) as { entries: unknown[] };
        const rows = await a.db.execute<{ n: string; distinct_n: string }>(
          sql`select count(*)::text as n, count(distinct created_at)::text as distinct_n from drizzle.__drizzle_migrations`,
        );
        expect(rows.rows[0]).toEqual({ n: String(journal.entries.length), distinct_n: String(journal.entries.length) });
        expect(await migrationsCurrent(a.db)).toBe(true);
        expect(await migrationsCurrent(b.db)).toBe(true);
        const heads = await a.db.execute<{ n: string }>(
          sql`select count(*)::text as n from audit_chain_heads where seq = 0 and hash = audit_genesis(chain)`,
        );
        expect(heads.rows[0]!.n).toBe('256');
      } finally {
        await a.close();
        await b.close();
      }
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
