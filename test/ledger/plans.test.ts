import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Tx } from '../../src/db/client.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { ManualClock } from '../../src/lib/clock.js';
import { useTestDatabase } from '../support/db.js';
import { fundedBook } from './fixtures.js';

const database = useTestDatabase();
const clock = new ManualClock(new Date('2027-01-01T00:00:00Z'));
const ledger = new Ledger({ clock });

/**
 * Statistics taken over thousands of posted transfers and none pending (the
 * state the claims benchmark found), then 1,000 pending transfers from
 * `debit` to `credit`. Returns their ids.
 */
async function pendingUnseenByStatistics(book: { treasury: string; payable: string }, debit: string, credit: string): Promise<string[]> {
  await ledger.commit(
    database.db,
    Array.from({ length: 3000 }, () => ({ id: randomUUID(), kind: 'posted' as const, debitAccountId: book.treasury, creditAccountId: book.payable, amount: 1n, code: 'grant' })),
  );
  await database.db.execute(sql`analyze ledger_transfers`);
  const pending = Array.from({ length: 1000 }, () => randomUUID());
  await ledger.commit(
    database.db,
    pending.map((id) => ({ id, kind: 'pending' as const, debitAccountId: debit, creditAccountId: credit, amount: 10n, code: 'reservation', timeoutSeconds: 3600 })),
  );
  return pending;
}

/** How often this transaction scanned the partial index on pending timeouts. */
async function timeoutIndexScans(tx: Tx): Promise<number> {
  const r = await tx.execute<{ n: string }>(sql`select pg_stat_get_xact_numscans('ledger_transfers_timeout_idx'::regclass)::text as n`);
  return Number(r.rows[0]!.n);
}

describe('query plans inside the ledger functions', () => {
  it('when pending transfers are posted and voided after statistics saw none pending, then each is found by primary key, never by scanning every pending transfer', async () => {
    const book = await fundedBook(ledger, database.db, 1_000_000n);
    const pending = await pendingUnseenByStatistics(book, book.grant, book.payable);

    const scans = await database.db.transaction(async (tx) => {
      // plpgsql switches to a generic plan after five executions in a session: go past it.
      for (const [i, id] of pending.slice(0, 10).entries()) {
        const kind = i % 2 === 0 ? ('post_pending' as const) : ('void_pending' as const);
        expect(await ledger.createTransfers(tx, [{ id: randomUUID(), kind, pendingId: id, code: 'claim' }])).toEqual(['ok']);
      }
      return timeoutIndexScans(tx);
    });
    expect(scans).toBe(0);
  });

  it('when pending transfers between unlimited accounts are posted in bulk after statistics saw none pending, then they are found by primary key, never by scanning every pending transfer', async () => {
    const book = await fundedBook(ledger, database.db, 0n);
    const pending = await pendingUnseenByStatistics(book, book.treasury, book.payable);

    const { posted, scans } = await database.db.transaction(async (tx) => {
      const posted: number[] = [];
      // Past plpgsql's switch to a generic plan after five executions, as above.
      for (let i = 0; i < 10; i++) {
        posted.push(await ledger.postPendingInBulk(tx, { pendingIds: pending.slice(i * 20, (i + 1) * 20), code: 'disbursement_settled', at: clock.now() }));
      }
      // Posted already: left alone, and still found by primary key.
      posted.push(await ledger.postPendingInBulk(tx, { pendingIds: pending.slice(0, 20), code: 'disbursement_settled', at: clock.now() }));
      return { posted, scans: await timeoutIndexScans(tx) };
    });
    expect(posted).toEqual([...Array.from({ length: 10 }, () => 20), 0]);
    expect(scans).toBe(0);
  });
});
