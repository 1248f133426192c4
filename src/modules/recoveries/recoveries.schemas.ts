import { z } from 'zod';
import { minorUnitsSchema as money } from '../../lib/money.js';
import { reversalReasonCodes, settlementKinds } from '../../db/schema/index.js';
import type { RecoveryRow, SettlementRow } from './recoveries.repo.js';

export const reversalBody = z
  .strictObject({
    reasonCode: z.enum(reversalReasonCodes),
    reason: z.string().trim().min(3).max(1000),
  })
  .meta({ id: 'ClaimReversal' });

export const recoverySchema = z
  .object({
    id: z.uuid(), claimId: z.uuid(), providerId: z.uuid(), currency: z.string(), amount: money,
    reference: z.string().meta({ description: 'Quote this reference on a refund: the bank statement line that carries it settles the recovery' }),
    reasonCode: z.enum(reversalReasonCodes), reason: z.string(), openedAt: z.string(), openedBy: z.string(),
    status: z.enum(['open', 'partially_recovered', 'recovered', 'over_recovered'])
      .meta({ description: 'over_recovered: the provider paid back more than it owed (a refund of a payment the bank then returned); the difference is repaid on its next payment line' }),
    outstanding: money.meta({ description: 'What the provider still owes; below zero, what the service owes it back' }),
    netted: money, nettingInFlight: money, refunded: money,
    cancelledByReturn: money.meta({ description: 'The bank returned the payment this recovery was for: the provider never had the money' }),
    repaid: money, repaymentInFlight: money,
    settlements: z.array(z.object({ kind: z.enum(settlementKinds), amount: money, paymentLineId: z.uuid().nullable(), statementLineId: z.uuid().nullable(), at: z.string() })),
  })
  .meta({ id: 'Recovery', description: 'A paid claim found wrong: what the provider owes back, and how it has been settled' });

export function recoveryView(r: RecoveryRow, settlements: (SettlementRow & { lineStatus?: string | null })[]) {
  const live = settlements.filter((s) => s.recoveryId === r.id && s.live === 1);
  const sum = (xs: SettlementRow[]) => xs.reduce((t, s) => t + s.amount, 0n);
  // A netting or repayment is final once the bank paid its line (or the line was netted to nothing); until then it is in flight.
  const final = (s: SettlementRow & { lineStatus?: string | null }) => s.lineStatus === 'settled' || s.lineStatus === 'netted';
  const of = (kind: SettlementRow['kind'], done?: boolean) => live.filter((s) => s.kind === kind && (done === undefined || final(s) === done));
  const netted = sum(of('netting', true)), inFlight = sum(of('netting', false)), refunded = sum(of('refund')), cancelled = sum(of('return'));
  const repaid = sum(of('repayment', true)), repaymentInFlight = sum(of('repayment', false));
  const outstanding = r.amount - netted - inFlight - refunded - cancelled + repaid + repaymentInFlight;
  const settling = inFlight + repaymentInFlight > 0n;
  const status = outstanding < 0n ? 'over_recovered' : outstanding === 0n && !settling ? 'recovered' : outstanding === r.amount && !settling ? 'open' : 'partially_recovered';
  return {
    id: r.id, claimId: r.claimId, providerId: r.providerId, currency: r.currency, amount: r.amount.toString(), reference: r.reference,
    reasonCode: r.reasonCode, reason: r.reason, openedAt: r.openedAt.toISOString(), openedBy: r.openedBy,
    status: status as 'open' | 'partially_recovered' | 'recovered' | 'over_recovered',
    outstanding: outstanding.toString(), netted: netted.toString(), nettingInFlight: inFlight.toString(), refunded: refunded.toString(),
    cancelledByReturn: cancelled.toString(), repaid: repaid.toString(), repaymentInFlight: repaymentInFlight.toString(),
    settlements: live.map((s) => ({ kind: s.kind, amount: s.amount.toString(), paymentLineId: s.paymentLineId, statementLineId: s.statementLineId, at: s.createdAt.toISOString() })),
  };
}
