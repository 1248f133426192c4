import type { Outstanding } from './recoveries.repo.js';

export interface Netting {
  recoveryId: string;
  reference: string;
  amount: bigint;
}

/**
 * What a payment line deducts from the claims it pays: the provider's
 * outstanding recoveries, oldest first, up to the line's claims. What does
 * not fit stays outstanding for the next line or a refund.
 */
export function planNetting(owed: Outstanding[], claimsTotal: bigint): Netting[] {
  const out: Netting[] = [];
  let room = claimsTotal;
  for (const o of owed) {
    if (room === 0n) break;
    const take = o.outstanding < room ? o.outstanding : room;
    if (take > 0n) out.push({ recoveryId: o.recoveryId, reference: o.reference, amount: take });
    room -= take;
  }
  return out;
}
