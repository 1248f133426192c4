import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { notFound } from '../../lib/app-error.js';
import { toBigInt } from '../../lib/money.js';
import { rulesFromJson, type SchemeRules } from '../schemes/scheme-rules.js';
import type { EligibilityInput } from './eligibility.types.js';
import { noEquityFacts, type EquityFacts } from '../schemes/targeting.js';

interface Facts {
  learner: {
    id: string; subjectId: string; dateOfBirth: string; citizenship: string; employmentStatus: string; incomeGroup: string; equity: EquityFacts | null;
  } | null;
  run: {
    id: string; courseId: string; providerId: string; startsAt: string; endsAt: string; fee: string; currency: string;
    capacity: number; seatsTaken: number; status: 'scheduled' | 'cancelled'; category: string; providerStatus: 'active' | 'suspended';
    approvedSchemeIds: string[]; payableAccountId: string | null; moduleSharesBps: number[] | null;
  } | null;
  grants?: {
    id: string; schemeId: string; currency: string; status: 'active' | 'expired' | 'revoked'; available: string;
    expiresAt: string | null; firstUseDeadline: string | null; firstUsedAt: string | null; grantedAt: string;
  }[];
  schemes?: { id: string; name: string; currency: string; status: 'active' | 'closed'; rulesVersion: number; rules: unknown }[];
  alreadyEnrolled?: boolean;
}

/** What the write that follows a decision needs besides the decision's own input. */
export interface DecisionContext {
  input: EligibilityInput;
  learnerSubjectId: string;
  /** The run's provider payable in the run's currency, if it exists yet. */
  payableAccountId: string | null;
  /** A modular course's module shares in order, in basis points; empty when the course is paid in one claim. */
  moduleSharesBps: number[];
}

/** A rule version never changes once written, so its parsed form is kept. */
const parsedRules = new Map<string, SchemeRules>();
function rulesOf(schemeId: string, version: number, json: unknown): SchemeRules {
  const key = `${schemeId}:${version}`;
  let rules = parsedRules.get(key);
  if (!rules) {
    rules = rulesFromJson(json);
    if (parsedRules.size >= 10_000) parsedRules.clear();
    parsedRules.set(key, rules);
  }
  return rules;
}

const date = (v: string | null) => (v === null ? null : new Date(v));

/**
 * Reads everything one eligibility decision needs in one call: the learner,
 * the run with its course approvals and provider, the learner's grants with
 * their ledger balances, and each scheme's rules in force at `at`. With
 * `lock`, the learner's row is locked first (inside the caller's
 * transaction), so the decision and the write after it see no concurrent
 * change to this learner's credit.
 */
export async function loadDecisionContext(
  db: Db | Tx,
  query: { learnerId: string; runId: string; at: Date; ignoreEnrolmentId?: string | undefined; lock?: boolean },
): Promise<DecisionContext> {
  const r = await db.execute<{ facts: Facts }>(sql`
    select eligibility_facts(${query.learnerId}::uuid, ${query.runId}::uuid, ${query.at.toISOString()}::timestamptz,
                             ${query.ignoreEnrolmentId ?? null}::uuid, ${query.lock ?? false}) as facts`);
  const { learner, run, grants = [], schemes = [], alreadyEnrolled = false } = r.rows[0]!.facts;
  if (!learner) throw notFound('learner');
  if (!run) throw notFound('course run');
  return {
    learnerSubjectId: learner.subjectId,
    payableAccountId: run.payableAccountId,
    moduleSharesBps: run.moduleSharesBps ?? [],
    input: {
      at: query.at,
      learner: {
        id: learner.id,
        dateOfBirth: learner.dateOfBirth,
        citizenship: learner.citizenship,
        employmentStatus: learner.employmentStatus,
        incomeGroup: learner.incomeGroup,
        equity: learner.equity ?? noEquityFacts,
      },
      run: {
        id: run.id,
        courseId: run.courseId,
        providerId: run.providerId,
        startsAt: new Date(run.startsAt),
        endsAt: new Date(run.endsAt),
        fee: toBigInt(run.fee),
        currency: run.currency,
        capacity: run.capacity,
        seatsTaken: run.seatsTaken,
        status: run.status,
      },
      course: { id: run.courseId, category: run.category, approvedSchemeIds: run.approvedSchemeIds },
      provider: { id: run.providerId, status: run.providerStatus },
      schemes: schemes.map((s) => ({
        id: s.id, name: s.name, currency: s.currency, status: s.status, rules: rulesOf(s.id, s.rulesVersion, s.rules), rulesVersion: s.rulesVersion,
      })),
      grants: grants.map((g) => ({
        id: g.id,
        schemeId: g.schemeId,
        currency: g.currency,
        available: toBigInt(g.available),
        expiresAt: date(g.expiresAt),
        firstUseDeadline: date(g.firstUseDeadline),
        firstUsedAt: date(g.firstUsedAt),
        status: g.status,
        grantedAt: new Date(g.grantedAt),
      })),
      alreadyEnrolled,
    },
  };
}

export async function loadEligibilityInput(
  db: Db | Tx,
  query: { learnerId: string; runId: string; at: Date; ignoreEnrolmentId?: string | undefined },
): Promise<EligibilityInput> {
  return (await loadDecisionContext(db, query)).input;
}
