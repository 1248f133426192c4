import type { Db, Tx } from '../../db/client.js';
import type { Clock } from '../../lib/clock.js';
import { cursorInstant, decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { DAY_MS } from '../../lib/dates.js';
import { z } from 'zod';
import { findLearner } from '../learners/learners.repo.js';
import { grantBalances, learnerMovements } from './accounts.repo.js';
import { describeMovement, movementSign } from './describe-movement.js';

const EXPIRING_WINDOW_MS = 90 * DAY_MS;

/** The learner's credit; undefined when there is no such learner. */
export async function accountView(db: Db | Tx, clock: Clock, learnerId: string) {
  const now = clock.now();
  const grants = await grantBalances(db, learnerId);
  if (!grants) return undefined;
  const totals = new Map<string, { currency: string; available: bigint; reserved: bigint; spent: bigint; expired: bigint }>();
  for (const g of grants) {
    const t = totals.get(g.currency) ?? { currency: g.currency, available: 0n, reserved: 0n, spent: 0n, expired: 0n };
    t.available += g.available;
    t.reserved += g.reserved;
    t.spent += g.spent;
    t.expired += g.expired;
    totals.set(g.currency, t);
  }
  return {
    learnerId,
    asOf: now.toISOString(),
    grants: grants.map((g) => ({
      ...g, grantedAt: g.grantedAt.toISOString(), expiresAt: g.expiresAt?.toISOString() ?? null, firstUseDeadline: g.firstUseDeadline?.toISOString() ?? null,
    })),
    totals: [...totals.values()],
    expiringSoon: grants
      .filter((g) => g.status === 'active' && g.available > 0n && g.expiresAt && g.expiresAt.getTime() - now.getTime() <= EXPIRING_WINDOW_MS)
      .map((g) => ({ grantId: g.grantId, currency: g.currency, available: g.available, expiresAt: g.expiresAt!.toISOString() })),
  };
}

const cursorSchema = z.object({ at: cursorInstant, id: z.uuid() });

export async function movementsPage(db: Db | Tx, learnerId: string, page: { cursor?: string | undefined; limit: number }) {
  const before = decodeCursor(page.cursor, cursorSchema);
  const rows = await learnerMovements(db, learnerId, { before, limit: page.limit + 1 });
  const items = rows.slice(0, page.limit).map((m) => ({
    id: m.id,
    at: m.createdAt.toISOString(),
    grantId: m.grantId,
    kind: m.kind,
    code: m.code,
    direction: m.direction,
    amount: m.amount,
    currency: m.currency,
    description: describeMovement(m),
    sign: movementSign(m),
    schemeName: m.schemeName,
    courseTitle: m.course?.title ?? null,
    counterOfficer: m.counterOfficer,
    referenceId: m.referenceId,
  }));
  const last = rows.length > page.limit ? rows[page.limit - 1] : undefined;
  return { items, nextCursor: last ? encodeCursor({ at: last.createdAt.toISOString(), id: last.id }) : null };
}

/** A page of a learner's movements; undefined when there is no such learner. */
export async function learnerMovementsPage(db: Db | Tx, learnerId: string, page: { cursor?: string | undefined; limit: number }) {
  if (!(await findLearner(db, learnerId))) return undefined;
  return movementsPage(db, learnerId, page);
}
