import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { ManualClock } from '../../src/lib/clock.js';
import { useTestDatabase } from '../support/db.js';
import { fundedBook } from './fixtures.js';

const database = useTestDatabase();
const ledger = new Ledger({ clock: new ManualClock(new Date('2027-01-01T00:00:00Z')) });

describe('ledger invariants', () => {
  it('when the books were written only through the ledger, then there is no violation', async () => {
    const book = await fundedBook(ledger, database.db, 10_000n);
    await ledger.commit(database.db, [
      { id: randomUUID(), kind: 'pending', debitAccountId: book.grant, creditAccountId: book.payable, amount: 4_000n, code: 'reservation', timeoutSeconds: 60 },
    ]);
    expect(await ledgerViolations(database.db)).toEqual([]);
  });

  it('when a balanced delta is appended to a limited account behind the ledger\'s back, then it is reported, since grant balances are read from the row alone', async () => {
    const book = await fundedBook(ledger, database.db, 10_000n);
    await database.db.execute(sql`
      insert into ledger_account_deltas (account_id, debits_pending, debits_posted, credits_pending, credits_posted)
      values (${book.grant}, 0, 0, 0, 500), (${book.treasury}, 0, 500, 0, 0)`);
    await database.db.execute(sql`insert into ledger_transfers (id, kind, debit_account_id, credit_account_id, amount, currency, code, created_at)
      values (${randomUUID()}, 'posted', ${book.treasury}, ${book.grant}, 500, 'SGD', 'grant', now())`);
    expect(await ledgerViolations(database.db)).toEqual([`limited account ${book.grant} has deltas`]);
  });
});
