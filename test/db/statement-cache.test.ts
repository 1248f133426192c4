import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../support/db.js';

const database = useTestDatabase({ poolSize: 1 });

const prepared = async () =>
  (await database.db.execute<{ statement: string }>(sql`select statement from pg_prepared_statements where name like 'lc_%'`)).rows.map((r) => r.statement);

describe('statement cache', () => {
  it('when the same parameterised query runs twice on a connection, then it is prepared once under a name and answers with each call\'s values', async () => {
    const before = await prepared();
    const first = await database.db.execute<{ n: number }>(sql`select ${41}::int + 1 as n`);
    const second = await database.db.execute<{ n: number }>(sql`select ${1}::int + 1 as n`);
    expect([first.rows[0]!.n, second.rows[0]!.n]).toEqual([42, 2]);
    const after = await prepared();
    expect(after.filter((s) => s.includes('::int + 1 as n'))).toHaveLength(1);
    expect(after.length).toBeGreaterThan(before.length);
  });

  it('when a query has no parameters, then it is sent unnamed and nothing is prepared for it', async () => {
    await database.db.execute(sql`select 'unprepared-marker' as m`);
    expect((await prepared()).some((s) => s.includes('unprepared-marker'))).toBe(false);
  });
});
