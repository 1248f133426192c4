import { z } from 'zod';
import { reversalReasonCodes } from '../../db/schema/index.js';
import type { RecoveryRow, SettlementRow } from './recoveries.repo.js';

const money = z.string().meta({ description: 'minor units' });

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
    status: z.enum(['open', 'partially_recovered', 'recovered']),
    outstanding: money, netted: money, nettingInFlight: money, refunded: money,
    settlements: z.array(z.object({ kind: z.enum(['netting', 'refund']), amount: money, paymentLineId: z.uuid().nullable(), statementLineId: z.uuid().nullable(), at: z.string() })),
  })
  .meta({ id: 'Recovery', description: 'A paid claim found wrong: what the provider owes back, and how it has been settled' });

export function recoveryView(r: RecoveryRow, settlements: (SettlementRow & { lineStatus?: string | null })[]) {
  const live = settlements.filter((s) => s.recoveryId === r.id && s.live === 1);
  const sum = (xs: SettlementRow[]) => xs.reduce((t, s) => t + s.amount, 0n);
  const inFlight = live.filter((s) => s.kind === 'netting' && s.lineStatus !== 'settled' && s.lineStatus !== 'netted');
  const netted = live.filter((s) => s.kind === 'netting' && (s.lineStatus === 'settled' || s.lineStatus === 'netted'));
  const refunded = live.filter((s) => s.kind === 'refund');
  const outstanding = r.amount - sum(live);
  const recovered = sum(netted) + sum(refunded);
  return {
    id: r.id, claimId: r.claimId, providerId: r.providerId, currency: r.currency, amount: r.amount.toString(), reference: r.reference,
    reasonCode: r.reasonCode, reason: r.reason, openedAt: r.openedAt.toISOString(), openedBy: r.openedBy,
    status: recovered === r.amount ? ('recovered' as const) : recovered > 0n ? ('partially_recovered' as const) : ('open' as const),
    outstanding: outstanding.toString(), netted: sum(netted).toString(), nettingInFlight: sum(inFlight).toString(), refunded: sum(refunded).toString(),
    settlements: live.map((s) => ({ kind: s.kind, amount: s.amount.toString(), paymentLineId: s.paymentLineId, statementLineId: s.statementLineId, at: s.createdAt.toISOString() })),
  };
}
