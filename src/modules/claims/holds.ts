import type { Db, Tx } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError } from '../../lib/app-error.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import { samePerson, type Acting } from '../acting.js';
import type { ClaimRow } from './claims.repo.js';
import { holdReasonCodes, holdWords, type HoldReasonCode } from './hold-reasons.js';
import { holdsOfClaims, insertEscalations, type HoldRow } from './holds.repo.js';

/**
 * Holds: every claim that waits for a person's decision says why (a stable
 * code and plain words), since when, and by when it will be decided (the
 * scheme's holdDecisionDays). A hold past its deadline is escalated once by
 * the maintenance sweep; from then on nobody who placed it or acted on it
 * before may decide it. Which claims are held, and from when, is derived in
 * one place: holds.repo.ts.
 */
const knownCode = (code: string): HoldReasonCode => ((holdReasonCodes as readonly string[]).includes(code) ? (code as HoldReasonCode) : 'held_for_review');

/** Who reads the hold. A learner sees why and when, not the words an officer or administrator wrote about the provider. */
export type HoldAudience = 'staff' | 'provider' | 'citizen';

export interface ClaimHold {
  reasonCode: HoldReasonCode;
  reason: string;
  detail: string | null;
  since: string;
  decideBy: string;
  escalated: boolean;
  escalatedAt: string | null;
}

/** Microsecond ISO from PostgreSQL to the millisecond ISO the API uses everywhere. */
const ms = (iso: string) => new Date(iso).toISOString();

export function holdView(row: HoldRow, audience: HoldAudience): ClaimHold {
  const reasonCode = knownCode(row.reason_code);
  const detail = audience === 'citizen' ? null : row.detail;
  return {
    reasonCode,
    reason: detail ? `${holdWords[reasonCode]} Reason given: ${detail}` : holdWords[reasonCode],
    detail,
    since: ms(row.since),
    decideBy: ms(row.decide_by),
    escalated: row.escalated_at !== null,
    escalatedAt: row.escalated_at === null ? null : ms(row.escalated_at),
  };
}

/** The open hold of each claim that has one, by claim id. */
export async function holdsOf(db: Db | Tx, claimIds: string[], audience: HoldAudience): Promise<Map<string, ClaimHold>> {
  const rows = await holdsOfClaims(db, claimIds);
  return new Map(rows.map((r) => [r.claim_id, holdView(r, audience)]));
}

export async function holdOf(db: Db | Tx, claimId: string, audience: HoldAudience): Promise<ClaimHold | null> {
  return (await holdsOf(db, [claimId], audience)).get(claimId) ?? null;
}

/**
 * Four eyes on an escalated hold: once a hold passed its deadline and was
 * escalated, nobody who placed it or acted on it before (recorded with the
 * escalation) may decide it, nor approve a decision on it.
 */
export async function refuseEscalatedHandler(tx: Tx, claim: Pick<ClaimRow, 'id'>, acting: Acting): Promise<void> {
  const [hold] = await holdsOfClaims(tx, [claim.id]);
  if (hold?.escalated_at && (hold.handled_by ?? []).some((handler) => samePerson(handler, acting.actor.subject))) {
    throw new AppError(
      'four_eyes_required',
      `this hold passed its decision deadline (${ms(hold.decide_by)}) and was escalated: an officer who has not handled it must decide it`,
    );
  }
}

const BATCH = 500;

/** The maintenance sweep: escalates every hold past its deadline, once, each with its audit event. Returns how many. */
export async function escalateOverdueHolds(deps: ServiceDeps): Promise<number> {
  const now = deps.clock.now();
  let total = 0;
  for (;;) {
    const escalated = await inTransaction(deps.database.db, async (tx) => {
      const rows = await insertEscalations(tx, now, BATCH);
      for (const r of rows) {
        await recordAudit(tx, {
          actor: { role: 'system', subject: 'system:hold-sweep' }, action: 'claim.hold_escalated', entityType: 'claim', entityId: r.claim_id, at: now,
          details: { reasonCode: r.reason_code, heldSince: ms(r.held_since), decideBy: ms(r.decide_by), handledBy: r.handled_by },
        });
      }
      return rows.length;
    });
    total += escalated;
    if (escalated < BATCH) return total;
  }
}
