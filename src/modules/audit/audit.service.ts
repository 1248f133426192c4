import type { Db, Tx } from '../../db/client.js';
import { listAuditEvents, verifyAuditChain } from './audit.repo.js';

/** Walks every hash chain: intact when no link is broken. */
export async function verifyAuditTrail(db: Db | Tx) {
  const breaks = await verifyAuditChain(db);
  return { intact: breaks.length === 0, breaks };
}

/** Audit events newest first, optionally for one entity. */
export const searchAuditEvents = (db: Db | Tx, filter: Parameters<typeof listAuditEvents>[1]) => listAuditEvents(db, filter);
