import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import type { BankAccount } from '../providers/bank-account.js';
import type { StoredPayeeAccount } from '../learners/payee-account/payee-account.service.js';

/** One learner's payment line in a disbursement batch: every incentive owed to them, paid to their account in force. */
export interface LearnerLine {
  learnerId: string;
  amount: bigint;
  account: BankAccount;
  incentives: { id: string; amount: bigint }[];
}

/**
 * Accrued incentives up to the cut-off, in no live payment line and of no
 * reversed claim, of learners with a payee account in force; locked for this batch. A learner without
 * one stays out (their incentive shows held:no_payee_account) until they
 * register one.
 */
export async function incentiveLinesFor(tx: Tx, f: { currency: string; cutOff: Date; schemeId?: string | undefined }): Promise<LearnerLine[]> {
  const r = await tx.execute<{ id: string; learner_id: string; amount: string; account: StoredPayeeAccount }>(sql`
    select i.id, i.learner_id, i.amount::text amount, a.account from incentives i
      join learner_payee_accounts a on a.learner_id = i.learner_id and a.status = 'active'
     where i.status = 'accrued' and i.currency = ${f.currency} and i.accrued_at <= ${f.cutOff.toISOString()}::timestamptz
       and not exists (select 1 from payment_line_incentives x where x.incentive_id = i.id and x.live = 1)
       -- Reversing the claim reverses its incentive; should one ever be missed, it is still not paid.
       and not exists (select 1 from claims c where c.enrolment_id = i.enrolment_id and c.status = 'reversed')
       ${f.schemeId ? sql`and i.scheme_id = ${f.schemeId}` : sql``}
     order by i.learner_id, i.id
     for update of i`);
  const byLearner = new Map<string, LearnerLine>();
  for (const row of r.rows) {
    const line = byLearner.get(row.learner_id) ?? { learnerId: row.learner_id, amount: 0n, account: row.account.payment, incentives: [] };
    line.amount += BigInt(row.amount);
    line.incentives.push({ id: row.id, amount: BigInt(row.amount) });
    byLearner.set(row.learner_id, line);
  }
  return [...byLearner.values()];
}

/** A rejected batch: its incentives are free for the next one. */
export async function freeIncentivesOfBatch(tx: Tx, batchId: string): Promise<void> {
  await tx.execute(sql`update payment_line_incentives set live = 0 where line_id in (select id from payment_lines where batch_id = ${batchId})`);
}

/** A line the bank returned: its incentives are owed again (the money is back in the learner's payable) and go into the next batch. */
export async function freeIncentivesOfLine(tx: Tx, lineId: string): Promise<void> {
  await tx.execute(sql`update payment_line_incentives set live = 0 where line_id = ${lineId}`);
}
