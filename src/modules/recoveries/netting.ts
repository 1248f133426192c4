import type { SettlementKind } from '../../db/schema/index.js';
import type { Outstanding } from './recoveries.repo.js';

export interface Netting {
  recoveryId: string;
  reference: string;
  kind: Extract<SettlementKind, 'netting' | 'repayment'>;
  amount: bigint;
}

/**
 * What a payment line changes in the claims it pays. What the service owes
 * the provider back (a recovery it over-paid) is added in full; what the
 * provider owes is deducted, oldest first, up to what the line then carries.
 * What does not fit stays outstanding for the next line or a refund.
 */
export function planNetting(owed: Outstanding[], claimsTotal: bigint): Netting[] {
  const repayments = owed.filter((o) => o.outstanding < 0n).map((o) => ({ recoveryId: o.recoveryId, reference: o.reference, kind: 'repayment' as const, amount: -o.outstanding }));
  const out: Netting[] = [...repayments];
  let room = claimsTotal + repayments.reduce((s, r) => s + r.amount, 0n);
  for (const o of owed) {
    if (room === 0n) break;
    if (o.outstanding <= 0n) continue;
    const take = o.outstanding < room ? o.outstanding : room;
    out.push({ recoveryId: o.recoveryId, reference: o.reference, kind: 'netting', amount: take });
    room -= take;
  }
  return out;
}

/** What the line deducts from its claims: nettings less repayments (below zero, the line pays more than its claims). */
export const deductionOf = (nettings: Netting[]): bigint => nettings.reduce((s, n) => s + (n.kind === 'netting' ? n.amount : -n.amount), 0n);
