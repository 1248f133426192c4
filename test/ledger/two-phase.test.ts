import { describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Ledger } from '../../src/ledger/ledger.js';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { ManualClock } from '../../src/lib/clock.js';
import { useTestDatabase } from '../support/db.js';

const database = useTestDatabase();
const clock = new ManualClock(new Date('2027-01-01T00:00:00Z'));
const ledger = new Ledger({ clock });

async function fundedGrant(amount: bigint) {
  const source = randomUUID();
  const grant = randomUUID();
  const payable = randomUUID();
  await ledger.createAccounts(database.db, [
    { id: source, currency: 'SGD', kind: 'treasury', limit: 'none' },
    { id: grant, currency: 'SGD', kind: 'learner_grant', limit: 'debits_must_not_exceed_credits' },
    { id: payable, currency: 'SGD', kind: 'provider_payable', limit: 'none' },
  ]);
  await ledger.commit(database.db, [
    { id: randomUUID(), kind: 'posted', debitAccountId: source, creditAccountId: grant, amount, code: 'grant' },
  ]);
  return { source, grant, payable };
}

describe('two-phase transfers', () => {
  it('when a pending transfer is posted for less, then the remainder returns to the grant', async () => {
    const { grant, payable } = await fundedGrant(10_000n);
    const pending = randomUUID();
    expect(
      await ledger.createTransfers(database.db, [
        { id: pending, kind: 'pending', debitAccountId: grant, creditAccountId: payable, amount: 6_000n, code: 'reservation', timeoutSeconds: 3600 },
      ]),
    ).toEqual(['ok']);
    expect((await ledger.balance(database.db, grant))?.debitsPending).toBe(6_000n);
    expect(
      await ledger.createTransfers(database.db, [{ id: randomUUID(), kind: 'post_pending', pendingId: pending, amount: 4_000n, code: 'claim' }]),
    ).toEqual(['ok']);
    const b = await ledger.balance(database.db, grant);
    expect(b).toMatchObject({ debitsPending: 0n, debitsPosted: 4_000n, creditsPosted: 10_000n });
    const p = await ledger.balance(database.db, payable);
    expect(p).toMatchObject({ creditsPending: 0n, creditsPosted: 4_000n });
    expect(await ledgerViolations(database.db)).toEqual([]);
  });
});
