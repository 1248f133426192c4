import type { Db } from './db/client.js';
import { purgeExpiredKeys } from './http/idempotency.js';
import type { Ledger } from './ledger/ledger.js';
import type { Clock } from './lib/clock.js';

/**
 * Background work that keeps the books current: expire timed-out
 * reservations, fold payable deltas, forget old idempotency keys.
 */
export async function runMaintenance(deps: { db: Db; ledger: Ledger; clock: Clock }) {
  const expired = await deps.ledger.expirePending(deps.db);
  const folded = await deps.ledger.foldDeltas(deps.db);
  const keysPurged = await purgeExpiredKeys(deps.db, deps.clock);
  return { expired, folded, keysPurged };
}
