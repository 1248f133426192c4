import type { Db, Tx } from '../../db/client.js';
import { notFound } from '../../lib/app-error.js';
import { findRecovery, listRecoveries, settlementsOf } from './recoveries.repo.js';

/** One recovery with how it was settled; a provider sees only its own, another provider's is a 404. */
export async function getRecovery(db: Db | Tx, recoveryId: string, ownProviderId: string | undefined) {
  const recovery = await findRecovery(db, recoveryId);
  if (!recovery || (ownProviderId !== undefined && recovery.providerId !== ownProviderId)) throw notFound('recovery');
  return { recovery, settlements: await settlementsOf(db, [recovery.id]) };
}

/** Recoveries newest first, matching the filter. */
export const searchRecoveries = (db: Db | Tx, filter: Parameters<typeof listRecoveries>[1]) => listRecoveries(db, filter);

/** How each of these recoveries was settled, with the state of the payment line that netted it. */
export const settlementsOfRecoveries = (db: Db | Tx, recoveryIds: string[]) => settlementsOf(db, recoveryIds);
