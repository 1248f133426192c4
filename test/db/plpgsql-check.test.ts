import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.js';

const database = useTestDatabase({ poolSize: 1 });

/**
 * plpgsql_check (Debian's postgresql-15-plpgsql-check, installed by .ci/run on
 * the system server) compiles every PL/pgSQL function against the schema, so
 * a misspelt column or a wrong type in a branch no test reaches is found
 * before it runs. The embedded PostgreSQL does not ship it: there the check
 * is skipped, unless LC_REQUIRE_PLPGSQL_CHECK=1 says it must run.
 */
describe('PL/pgSQL functions under plpgsql_check', () => {
  it('when every PL/pgSQL function of the public schema is checked, then plpgsql_check reports no error', async (ctx) => {
    const db = database.db;
    const available = await db.execute(sql`select 1 from pg_available_extensions where name = 'plpgsql_check'`);
    if (available.rows.length === 0) {
      expect(process.env.LC_REQUIRE_PLPGSQL_CHECK, 'plpgsql_check is not installed on this server').not.toBe('1');
      ctx.skip();
    }
    await db.execute(sql`create extension if not exists plpgsql_check`);
    const checked = await db.execute<{ fn: string; level: string; lineno: number | null; statement: string | null; message: string; detail: string | null }>(sql`
      select p.oid::regprocedure::text as fn, c.level, c.lineno, c.statement, c.message, c.detail
        from pg_proc p
        left join lateral plpgsql_check_function_tb(p.oid) c on true
       where p.pronamespace = 'public'::regnamespace
         and p.prolang = (select oid from pg_language where lanname = 'plpgsql')`);
    expect(new Set(checked.rows.map((r) => r.fn)).size).toBeGreaterThan(0);
    const errors = checked.rows
      .filter((r) => r.level === 'error')
      .map((r) => `${r.fn} line ${r.lineno ?? '?'} (${r.statement ?? ''}): ${r.message}${r.detail ? ` (${r.detail})` : ''}`);
    expect(errors).toEqual([]);
  });
});
