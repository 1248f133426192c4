import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { notFound } from '../../http/problem.js';
import { learnerGrantBalances } from '../../ledger/learner-balances.js';
import { toBigInt } from '../../lib/money.js';
import { rulesAt } from '../schemes/schemes.repo.js';
import type { EligibilityInput } from './eligibility.types.js';

type Row = Record<string, string | number | boolean | null | string[]>;

/**
 * Reads everything one eligibility decision needs, in a handful of indexed
 * queries: the learner, the run with its course approvals and provider, the
 * learner's grants with their ledger balances, and each scheme's rules in
 * force at `at`.
 */
export async function loadEligibilityInput(
  db: Db | Tx,
  query: { learnerId: string; runId: string; at: Date; ignoreEnrolmentId?: string | undefined },
): Promise<EligibilityInput> {
  const learner = (await db.execute<Row>(sql`
    select id, date_of_birth::text as dob, citizenship, employment_status, income_group from learners where id = ${query.learnerId}`)).rows[0];
  if (!learner) throw notFound('learner');
  const run = (await db.execute<Row>(sql`
    select r.id, r.course_id, r.provider_id, r.starts_at::text as starts_at, r.ends_at::text as ends_at, r.fee::text as fee, r.currency,
           r.capacity, r.seats_taken, r.status, c.category, p.status as provider_status,
           coalesce((select array_agg(a.scheme_id::text) from course_approvals a where a.course_id = c.id), '{}') as approved
      from course_runs r join courses c on c.id = r.course_id join providers p on p.id = r.provider_id
     where r.id = ${query.runId}`)).rows[0];
  if (!run) throw notFound('course run');
  const grants = (await db.execute<Row>(sql`
    with g as materialized (${learnerGrantBalances(query.learnerId)})
    select g.id, g.scheme_id, g.currency, g.status, g.expires_at::text as expires_at, g.first_use_deadline::text as first_use_deadline,
           g.first_used_at::text as first_used_at, g.granted_at::text as granted_at,
           (g.credits_posted - g.debits_posted - g.debits_pending)::text as available
      from g where g.status = 'active'`)).rows;
  const schemeIds = [...new Set(grants.map((g) => String(g.scheme_id)))];
  const schemes = await Promise.all(
    schemeIds.map(async (id) => {
      const s = (await db.execute<Row>(sql`select id, name, currency, status from schemes where id = ${id}`)).rows[0]!;
      const rules = await rulesAt(db, id, query.at);
      return rules ? { s, rules } : undefined;
    }),
  );
  const enrolled = (await db.execute<Row>(sql`
    select 1 from enrolments where learner_id = ${query.learnerId} and course_run_id = ${query.runId}
       and status in ('requested', 'reserved', 'claimed')
       and id is distinct from ${query.ignoreEnrolmentId ?? null}::uuid limit 1`)).rows.length > 0;
  const date = (v: unknown) => (v === null || v === undefined ? null : new Date(String(v)));

  return {
    at: query.at,
    learner: {
      id: String(learner.id),
      dateOfBirth: String(learner.dob),
      citizenship: String(learner.citizenship),
      employmentStatus: String(learner.employment_status),
      incomeGroup: String(learner.income_group),
    },
    run: {
      id: String(run.id),
      courseId: String(run.course_id),
      providerId: String(run.provider_id),
      startsAt: new Date(String(run.starts_at)),
      endsAt: new Date(String(run.ends_at)),
      fee: toBigInt(String(run.fee)),
      currency: String(run.currency),
      capacity: Number(run.capacity),
      seatsTaken: Number(run.seats_taken),
      status: run.status as 'scheduled' | 'cancelled',
    },
    course: { id: String(run.course_id), category: String(run.category), approvedSchemeIds: (run.approved as string[]) ?? [] },
    provider: { id: String(run.provider_id), status: run.provider_status as 'active' | 'suspended' },
    schemes: schemes
      .filter((x) => x !== undefined)
      .map(({ s, rules }) => ({
        id: String(s.id),
        name: String(s.name),
        currency: String(s.currency),
        status: s.status as 'active' | 'closed',
        rules: rules.rules,
        rulesVersion: rules.version,
      })),
    grants: grants.map((g) => ({
      id: String(g.id),
      schemeId: String(g.scheme_id),
      currency: String(g.currency),
      available: toBigInt(String(g.available)),
      expiresAt: date(g.expires_at),
      firstUseDeadline: date(g.first_use_deadline),
      firstUsedAt: date(g.first_used_at),
      status: g.status as 'active' | 'expired' | 'revoked',
      grantedAt: new Date(String(g.granted_at)),
    })),
    alreadyEnrolled: enrolled,
  };
}
