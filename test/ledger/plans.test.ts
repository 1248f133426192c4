import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/ledger.js';
import { ManualClock } from '../../src/lib/clock.js';
import { useTestDatabase } from '../support/db.js';
import { fundedBook } from './fixtures.js';

const database = useTestDatabase();
const clock = new ManualClock(new Date('2027-01-01T00:00:00Z'));
const ledger = new Ledger({ clock });

describe('query plans inside the ledger functions', () => {
  it('when pending transfers are posted and voided after statistics saw none pending, then each is found by primary key, never by scanning every pending transfer', async () => {
    const book = await fundedBook(ledger, database.db, 1_000_000n);
    // Statistics taken over thousands of posted transfers and none pending: the state the claims benchmark found.
    await ledger.commit(
      database.db,
      Array.from({ length: 3000 }, () => ({ id: randomUUID(), kind: 'posted' as const, debitAccountId: book.treasury, creditAccountId: book.payable, amount: 1n, code: 'grant' })),
    );
    await database.db.execute(sql`analyze ledger_transfers`);
    const pending = Array.from({ length: 1000 }, () => randomUUID());
    await ledger.commit(
      database.db,
      pending.map((id) => ({ id, kind: 'pending' as const, debitAccountId: book.grant, creditAccountId: book.payable, amount: 10n, code: 'reservation', timeoutSeconds: 3600 })),
    );

    const scans = await database.db.transaction(async (tx) => {
      // plpgsql switches to a generic plan after five executions in a session: go past it.
      for (const [i, id] of pending.slice(0, 10).entries()) {
        const kind = i % 2 === 0 ? ('post_pending' as const) : ('void_pending' as const);
        expect(await ledger.createTransfers(tx, [{ id: randomUUID(), kind, pendingId: id, code: 'claim' }])).toEqual(['ok']);
      }
      const r = await tx.execute<{ n: string }>(sql`select pg_stat_get_xact_numscans('ledger_transfers_timeout_idx'::regclass)::text as n`);
      return Number(r.rows[0]!.n);
    });
    expect(scans).toBe(0);
  });
});
