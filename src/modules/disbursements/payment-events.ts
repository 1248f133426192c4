import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { settledSql } from '../recoveries/recoveries.repo.js';

/**
 * The events of payment lines, in the transaction that settles or returns
 * them, set-based: a statement of 100,000 lines records its events in a few
 * statements, not one round trip per line. A line is one event; so is each
 * incentive it pays and each netting it makes final.
 */

const ids = (lineIds: string[]) => sql.param(lineIds);

/** The line's facts every payment event carries: ids, amounts in minor units with their currency, the payee kind and the claims it pays. */
const lineData = sql`'paymentLineId', l.id, 'batchId', l.batch_id, 'endToEndId', l.end_to_end_id, 'payeeKind', l.payee_kind, 'status', l.status,
  'amount', l.amount::text, 'claimsTotal', l.claims_total::text, 'deducted', l.deducted::text, 'currency', l.currency,
  'claimIds', coalesce((select jsonb_agg(plc.claim_id order by plc.claim_id) from payment_line_claims plc where plc.line_id = l.id and plc.live = 1), '[]'::jsonb)`;

/**
 * Lines that became final, paid by the bank (settled) or netted to nothing
 * against what their provider owed (netted): payment.settled for each line,
 * incentive.paid for each learner incentive it pays, recovery.netted for each
 * netting or repayment it carried, now final with it.
 */
export async function recordPaymentsFinal(tx: Tx, lineIds: string[], at: Date): Promise<void> {
  if (lineIds.length === 0) return;
  const now = at.toISOString();
  await tx.execute(sql`
    select outbox_append('payment.settled', ${now}::timestamptz, 'payment_line', l.id, l.learner_id, l.provider_id, b.scheme_id, jsonb_build_object(${lineData}))
      from payment_lines l join disbursement_batches b on b.id = l.batch_id
     where l.id = any(${ids(lineIds)}::uuid[]) and l.status in ('settled', 'netted')
     order by l.id`);
  await tx.execute(sql`
    select outbox_append('incentive.paid', ${now}::timestamptz, 'incentive', i.id, i.learner_id, null, i.scheme_id, jsonb_build_object(
             'incentiveId', i.id, 'enrolmentId', i.enrolment_id, 'paymentLineId', x.line_id, 'batchId', l.batch_id, 'status', 'paid',
             'amount', x.amount::text, 'currency', i.currency))
      from payment_line_incentives x join incentives i on i.id = x.incentive_id join payment_lines l on l.id = x.line_id
     where x.line_id = any(${ids(lineIds)}::uuid[]) and x.live = 1 and l.status = 'settled'
     order by x.line_id, i.id`);
  await tx.execute(sql`
    select outbox_append('recovery.netted', ${now}::timestamptz, 'recovery', r.id, c.learner_id, r.provider_id, null, jsonb_build_object(
             'recoveryId', r.id, 'claimId', r.claim_id, 'reference', r.reference, 'paymentLineId', s.payment_line_id, 'batchId', l.batch_id,
             'kind', s.kind, 'amount', s.amount::text, 'currency', r.currency, 'outstanding', (r.amount - ${settledSql(sql`r.id`)})::text))
      from recovery_settlements s join recoveries r on r.id = s.recovery_id join claims c on c.id = r.claim_id
      join payment_lines l on l.id = s.payment_line_id
     where s.payment_line_id = any(${ids(lineIds)}::uuid[]) and s.live = 1 and s.kind in ('netting', 'repayment')
     order by s.payment_line_id, r.opened_at, r.id`);
}

/**
 * The bank sent a line back: payment.returned, naming the claims that are
 * owed again. Recorded before the line lets go of its claims.
 */
export async function recordPaymentReturned(tx: Tx, lineId: string, was: 'pending' | 'settled', at: Date): Promise<void> {
  await tx.execute(sql`
    select outbox_append('payment.returned', ${at.toISOString()}::timestamptz, 'payment_line', l.id, l.learner_id, l.provider_id, b.scheme_id,
                         jsonb_build_object(${lineData}) || jsonb_build_object('status', 'returned', 'was', ${was}::text))
      from payment_lines l join disbursement_batches b on b.id = l.batch_id
     where l.id = ${lineId}`);
}
