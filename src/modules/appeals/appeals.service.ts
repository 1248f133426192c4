import type { Db, Tx } from '../../db/client.js';
import type { AppealStatus } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { newId } from '../../lib/ids.js';
import type { Acting } from '../acting.js';
import { propose, type ApprovalRow } from '../approvals/approvals.service.js';
import { recordAudit } from '../audit/audit.repo.js';
import { recordEvent } from '../events/outbox.js';
import type { ServiceDeps } from '../deps.js';
import { readsOfLearners, recordStaffRead, recordStaffReads, type StaffReader } from '../data-rights/staff-reads.js';
import { findGrant, grantsOfLearner, type GrantRow } from '../grants/grants.repo.js';
import { rulesAt } from '../schemes/schemes.repo.js';
import { appealWindow, appealWindowRefusal } from './appeal-window.js';
import { appealsOfLearner, closingOfGrant, findAppeal, insertAppeal, listAppeals, updateAppeal, type AppealRow } from './appeals.repo.js';

export type { AppealRow };

/** The kind of the four-eyes proposal that reinstates an appealed grant (src/modules/approvals). */
export const APPEAL_REINSTATEMENT = 'grant.appeal_reinstatement';

/** What a reinstatement proposal carries: the approver approves exactly this. */
export interface ReinstatementPayload {
  appealId: string;
  amount: string;
  reasonCode: string;
  expiresAt?: string | null | undefined;
}

const grantParam = (message: string) => ({ errors: [{ path: 'params.grantId', message }] });

/**
 * Whether, and until when, this grant of the learner can be appealed now:
 * how it closed, when, what it returned to the scheme that no appeal has
 * reinstated yet, and the window of the rules in force when it closed (a
 * later change of the window neither takes an appeal away nor reopens one).
 */
export async function appealStanding(db: Db | Tx, grant: GrantRow, now: Date) {
  const closing = grant.status === 'active' ? undefined : await closingOfGrant(db, grant.id);
  if (!closing) return { ok: false as const, code: 'invalid_state' as const, reason: 'grant_not_closed', message: 'only a grant that expired or lapsed can be appealed' };
  const closedAt = closing.closing === 'lapsed' ? grant.firstUseDeadline : grant.expiresAt;
  // A grant with no such date did not lapse or expire by its rules: nothing to appeal (and no window to start from).
  if (!closedAt) return { ok: false as const, code: 'invalid_state' as const, reason: 'grant_not_closed', message: 'only a grant that expired or lapsed can be appealed' };
  const rules = (await rulesAt(db, grant.schemeId, closedAt))?.rules;
  const windowDays = rules?.appealWindowDays ?? 0;
  const refusal = appealWindowRefusal(closedAt, windowDays, now);
  const reinstatable = closing.returned - closing.reinstated;
  const base = { closing: closing.closing, closedAt, reinstatable, window: appealWindow(closedAt, windowDays) };
  if (refusal === 'appeals_not_offered') return { ...base, ok: false as const, code: 'rule_violation' as const, reason: refusal, message: 'this scheme takes no appeals' };
  if (refusal) return { ...base, ok: false as const, code: 'rule_violation' as const, reason: refusal, message: `the appeal window closed on ${base.window!.closes.toISOString()}` };
  if (reinstatable <= 0n) return { ...base, ok: false as const, code: 'invalid_state' as const, reason: 'nothing_to_reinstate', message: 'everything this grant returned has been reinstated already' };
  return { ...base, ok: true as const };
}

/** A learner appeals their own expired or lapsed grant, within the scheme's window, in their own words. */
export async function fileAppeal(deps: ServiceDeps, db: Db | Tx, learnerId: string, grantId: string, statement: string, acting: Acting): Promise<AppealRow> {
  return inTransaction(db, async (tx) => {
    const grant = await findGrant(tx, learnerId, grantId);
    if (!grant) throw notFound('grant');
    const now = deps.clock.now();
    const standing = await appealStanding(tx, grant, now);
    if (!standing.ok) throw new AppError(standing.code, standing.message, { reasons: [standing.reason], ...grantParam(standing.message) });
    const row = await insertAppeal(tx, {
      id: newId(), learnerId, grantId, schemeId: grant.schemeId, currency: grant.currency, closing: standing.closing, closedAt: standing.closedAt,
      lapsedAmount: standing.reinstatable, statement, status: 'open', filedAt: now, filedBy: acting.actor.subject,
    });
    if (!row) throw new AppError('conflict', 'this grant already has an appeal waiting for a decision', { reasons: ['appeal_already_open'], ...grantParam('already appealed') });
    await recordAudit(tx, {
      ...acting, action: 'appeal.filed', entityType: 'grant_appeal', entityId: row.id, at: now,
      details: { grantId, schemeId: grant.schemeId, closing: row.closing, lapsedAmount: row.lapsedAmount.toString(), currency: row.currency },
    });
    return row;
  });
}

export const myAppeals = (db: Db | Tx, learnerId: string) => appealsOfLearner(db, learnerId, 100);

/** Why officers read an appeal's statement (the learner's own words): the staff-read log's purpose. */
const APPEAL_PURPOSE = 'deciding an appeal against expired or lapsed credit';

/**
 * A page of appeals for the officers who decide them, newest first. Each
 * statement shown is a staff read of that learner's personal data: one per
 * learner on the page, in one insert. `more` says whether a next page exists.
 */
export async function searchAppeals(
  deps: ServiceDeps, db: Db | Tx, filter: Parameters<typeof listAppeals>[1], reader: StaffReader,
): Promise<{ items: AppealRow[]; more: boolean }> {
  const rows = await listAppeals(db, { ...filter, limit: filter.limit + 1 });
  const items = rows.slice(0, filter.limit);
  await recordStaffReads(db, reader.acting, readsOfLearners(items.map((a) => a.learnerId), { operation: reader.operation, purpose: APPEAL_PURPOSE, at: deps.clock.now() }));
  return { items, more: rows.length > filter.limit };
}

/** One appeal for an officer: reading its statement is a staff read of the learner's personal data. */
export async function getAppeal(deps: ServiceDeps, db: Db | Tx, appealId: string, reader: StaffReader): Promise<AppealRow> {
  const appeal = await findAppeal(db, appealId);
  if (!appeal) throw notFound('appeal');
  await recordStaffRead(db, reader.acting, { learnerId: appeal.learnerId, operation: reader.operation, purpose: APPEAL_PURPOSE, at: deps.clock.now() });
  return appeal;
}

export async function lockOpenAppeal(tx: Tx, appealId: string, expected: AppealStatus = 'open'): Promise<AppealRow> {
  const appeal = await findAppeal(tx, appealId, { forUpdate: true });
  if (!appeal) throw notFound('appeal');
  if (appeal.status === 'proposed' && expected === 'open') {
    throw new AppError('invalid_state', 'a reinstatement of this appeal is waiting for a second officer: approve or reject that proposal', { approvalId: appeal.approvalId });
  }
  if (appeal.status !== expected) throw new AppError('invalid_state', `the appeal is already ${appeal.status}`);
  return appeal;
}

/**
 * What may be reinstated of the appeal's grant now: what its expiry or lapse
 * returned (credit released from its reservations since comes back too),
 * less what earlier appeals reinstated. Refuses an amount above it, naming
 * the field.
 */
export async function reinstatableOf(tx: Tx, appeal: AppealRow, amount: bigint): Promise<bigint> {
  const closing = await closingOfGrant(tx, appeal.grantId);
  const reinstatable = closing ? closing.returned - closing.reinstated : 0n;
  if (amount > reinstatable) {
    throw new AppError('validation_failed', 'the request is not valid', {
      errors: [{ path: 'body.amount', message: `must not exceed ${reinstatable}, what the grant's expiry or lapse returned and no appeal has reinstated` }],
    });
  }
  return reinstatable;
}

/**
 * An officer proposes to reinstate credit on an open appeal. Nothing moves:
 * a second officer approves the proposal (POST /v1/approvals/{id}/approve),
 * and only then is the grant made.
 */
export async function proposeReinstatement(
  deps: ServiceDeps, db: Db | Tx, appealId: string,
  input: { amount: bigint; reasonCode: string; note: string; expiresAt?: string | null | undefined }, reader: StaffReader,
): Promise<{ appeal: AppealRow; approval: ApprovalRow }> {
  const { acting } = reader;
  return inTransaction(db, async (tx) => {
    const appeal = await lockOpenAppeal(tx, appealId);
    // The answer shows the officer the learner's statement again.
    await recordStaffRead(tx, acting, { learnerId: appeal.learnerId, operation: reader.operation, purpose: APPEAL_PURPOSE, at: deps.clock.now() });
    const reinstatable = await reinstatableOf(tx, appeal, input.amount);
    const payload: ReinstatementPayload = {
      appealId, amount: input.amount.toString(), reasonCode: input.reasonCode, ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : {}),
    };
    // The summary and payload carry codes and amounts only: the note may speak of the person, and approval.proposed goes into the audit chain.
    const approval = await propose(deps, tx, {
      kind: APPEAL_REINSTATEMENT, subjectType: 'grant_appeal', subjectId: appealId, payload: { ...payload },
      summary: `reinstate ${input.amount} ${appeal.currency} minor units of grant ${appeal.grantId} after appeal ${appealId} (${input.reasonCode})`,
    }, acting);
    const now = deps.clock.now();
    const row = await updateAppeal(tx, appealId, {
      status: 'proposed', approvalId: approval.id, proposedAmount: input.amount, lapsedAmount: reinstatable, reasonCode: input.reasonCode, decisionNote: input.note,
    });
    await recordAudit(tx, {
      ...acting, action: 'appeal.reinstatement_proposed', entityType: 'grant_appeal', entityId: appealId, at: now,
      details: { approvalId: approval.id, grantId: appeal.grantId, amount: input.amount.toString(), currency: appeal.currency, reasonCode: input.reasonCode },
    });
    return { appeal: row, approval };
  });
}

/**
 * An officer rejects an open appeal with a reason. One officer is enough:
 * a rejection moves no money and leaves the grant as it was, and four eyes
 * guard money leaving a budget. An appeal whose reinstatement is proposed
 * is decided through that proposal instead.
 */
export async function rejectAppeal(
  deps: ServiceDeps, db: Db | Tx, appealId: string, input: { reasonCode: string; note: string }, reader: StaffReader,
): Promise<AppealRow> {
  const { acting } = reader;
  return inTransaction(db, async (tx) => {
    const appeal = await lockOpenAppeal(tx, appealId);
    const now = deps.clock.now();
    await recordStaffRead(tx, acting, { learnerId: appeal.learnerId, operation: reader.operation, purpose: APPEAL_PURPOSE, at: now });
    const row = await updateAppeal(tx, appealId, {
      status: 'rejected', reasonCode: input.reasonCode, decisionNote: input.note, decidedAt: now, decidedBy: acting.actor.subject,
    });
    await recordAudit(tx, {
      ...acting, action: 'appeal.rejected', entityType: 'grant_appeal', entityId: appealId, at: now,
      details: { grantId: row.grantId, reasonCode: input.reasonCode },
    });
    await recordEvent(tx, {
      type: 'appeal.decided', at: now, subject: { type: 'grant_appeal', id: appealId }, learnerId: row.learnerId, schemeId: row.schemeId,
      data: { appealId, grantId: row.grantId, outcome: 'rejected', reasonCode: input.reasonCode },
    });
    return row;
  });
}

/**
 * The learner's grants they can appeal now (expired or lapsed, inside the
 * window, something left to reinstate, no appeal waiting), by grant id, with
 * the end of each window: what the credit page offers an Appeal form for.
 */
export async function appealableGrants(db: Db | Tx, learnerId: string, now: Date): Promise<Map<string, { closes: Date; closing: AppealRow['closing']; reinstatable: bigint; closedAt: Date }>> {
  const closed = (await grantsOfLearner(db, learnerId)).filter((g) => g.status !== 'active');
  const waiting = new Set((await appealsOfLearner(db, learnerId, 100)).filter((a) => a.status === 'open' || a.status === 'proposed').map((a) => a.grantId));
  const out = new Map<string, { closes: Date; closing: AppealRow['closing']; reinstatable: bigint; closedAt: Date }>();
  for (const g of closed) {
    if (waiting.has(g.id)) continue;
    const s = await appealStanding(db, g, now);
    if (s.ok) out.set(g.id, { closes: s.window!.closes, closing: s.closing, reinstatable: s.reinstatable, closedAt: s.closedAt });
  }
  return out;
}
