import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ledgerReads, moduleSqlEntryPoints } from '../../src/ledger/ledger.js';
import { useTestDatabase } from '../support/db.js';

const database = useTestDatabase({ poolSize: 1 });
const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src');

/** Where the ledger's names are its own: the ledger, and drizzle's description of its tables. */
const ledgerHomes = ['ledger/', 'db/schema/'];

/** Ledger names outside src/ledger/ that are not SQL, each with why. */
const notSql: { file: string; name: string; why: string }[] = [
  { file: 'lib/metrics.ts', name: 'ledger_quarantined_deltas', why: 'the gauge is named after the table it counts' },
  { file: 'maintenance.ts', name: 'ledger_quarantined_deltas', why: 'the log line tells the operator where to look' },
];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.(ts|sql)$/.test(e.name))
    .map((e) => path.relative(src, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

/** Code without its comments: TypeScript's, and SQL's (also inside sql`` templates). */
const withoutComments = (text: string): string =>
  text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1').replace(/--.*$/gm, '');

/** Every table, view and function of the ledger, by name: from the ledger's SQL and its drizzle tables. */
async function ledgerNames(): Promise<{ sqlNames: string[]; drizzleNames: string[] }> {
  const ledgerSql = await readFile(path.join(src, 'ledger/ledger.sql'), 'utf8');
  const schema = await readFile(path.join(src, 'db/schema/ledger.ts'), 'utf8');
  const routines = [...ledgerSql.matchAll(/CREATE OR REPLACE (?:FUNCTION|VIEW) (\w+)/g)].map((m) => m[1]!);
  const tables = [...schema.matchAll(/pgTable\(\s*'(\w+)'/g)].map((m) => m[1]!);
  const drizzleNames = [...schema.matchAll(/export const (\w+) = pgTable/g)].map((m) => m[1]!);
  return { sqlNames: [...new Set([...routines, ...tables])], drizzleNames };
}

describe('one door to the ledger', () => {
  it('when code outside src/ledger/ names the ledger, then it names only the entry points that ledger.ts lists', async () => {
    const { sqlNames, drizzleNames } = await ledgerNames();
    expect(sqlNames).toEqual(expect.arrayContaining(['ledger_transfers', 'ledger_accounts', 'ledger_balances', 'ledger_create_transfers', ...moduleSqlEntryPoints]));
    expect(drizzleNames).toEqual(expect.arrayContaining(['ledgerTransfers', 'ledgerAccounts']));
    const allowed = new Set<string>(moduleSqlEntryPoints);
    const found: string[] = [];
    for (const file of await sourceFiles(src)) {
      if (ledgerHomes.some((home) => file.startsWith(home))) continue;
      const code = withoutComments(await readFile(path.join(src, file), 'utf8'));
      for (const name of [...sqlNames, ...drizzleNames]) {
        if (allowed.has(name) || notSql.some((n) => n.file === file && n.name === name)) continue;
        if (new RegExp(`\\b${name}\\b`).test(code)) found.push(`${file}: ${name}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('when ledger_reserve is called outside src/ledger/, then only from the enrolments module, whose statement reserve() runs', async () => {
    const callers: string[] = [];
    for (const file of await sourceFiles(src)) {
      if (ledgerHomes.some((home) => file.startsWith(home))) continue;
      if (/\bledger_reserve\b/.test(withoutComments(await readFile(path.join(src, file), 'utf8')))) callers.push(file);
    }
    expect(callers).toEqual(['modules/enrolments/enrolments.sql']);
  });

  it('when a query calls one of the ledger reads, then the planner inlines it: no function scan is left in the plan', async () => {
    const r = await database.db.execute<{ name: string; args: string }>(sql`
      select p.proname as name, pg_get_function_identity_arguments(p.oid) as args from pg_proc p
       where p.pronamespace = 'public'::regnamespace and p.proname = any(${`{${ledgerReads.join(',')}}`}::text[])`);
    expect(r.rows.map((x) => x.name).sort()).toEqual([...ledgerReads].sort());
    for (const { name, args } of r.rows) {
      const nulls = args.split(',').map((a) => `null::${a.trim().split(/\s+/).slice(1).join(' ')}`).join(', ');
      const plan = await database.db.execute<{ 'QUERY PLAN': string }>(sql.raw(`explain (costs off) select * from ${name}(${nulls})`));
      expect({ name, plan: plan.rows.map((x) => x['QUERY PLAN']).join('\n') }).not.toEqual({ name, plan: expect.stringContaining('Function Scan') });
    }
  });
});
