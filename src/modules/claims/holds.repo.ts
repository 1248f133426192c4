import { sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { HOLD_DECISION_DAYS_DEFAULT } from '../schemes/scheme-rules.js';
import { REVIEW_DECISION } from './claims.service.js';

type Executor = Db | Tx;

/** One open hold on one claim, as PostgreSQL derives it. Instants are ISO strings with microseconds. */
export interface HoldRow {
  claim_id: string;
  provider_id: string;
  provider_name: string;
  currency: string;
  amount: string;
  claim_status: string;
  reason_code: string;
  detail: string | null;
  since: string;
  decide_by: string;
  escalated_at: string | null;
  handled_by: string[] | null;
}

const iso = (expr: SQL) => sql`to_char(${expr} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Claims in any hold: in review, held by a flag or a revocation, or approved and unpaid while their provider is suspended. */
const everyHeldClaim = sql`
  select id from claims where status = 'in_review'
  union all
  select id from claims where status = 'approved' and on_hold
  union all
  select c.id from providers p join claims c on c.provider_id = p.id and c.status = 'approved' and not c.on_hold where p.status = 'suspended'`;

/**
 * The one derivation of a claim's hold, from the facts that hold it (the
 * claim row, the revocation, the flag in the audit trail, the provider's
 * suspension) and the rules version its enrolment was judged by. A claim
 * that is not held has no row.
 *
 * - reason: revocation first, then the system's review reason, then an
 *   officer's flag, then the provider's suspension.
 * - since: a claim in review is held from its submission (a later flag does
 *   not move its deadline); a held approved claim from the first flag or
 *   revocation after it was last decided; a suspended provider's claim from
 *   the suspension (or its approval, when that came later).
 * - decide_by: since + holdDecisionDays, the shortest of the schemes that fund it.
 * - escalated_at / handled_by: the escalation of this very hold (same claim, same since), if any.
 *
 * A claim on a live line the bank already has (pending or settled) is money
 * in flight, not held by its provider's suspension.
 */
function holds(candidates: SQL): SQL {
  return sql`
    select c.id, c.provider_id, p.legal_name provider_name, c.currency::text currency, c.amount_claimed::text amount, c.status claim_status,
           k.code reason_code, k.detail, s.since, s.since + make_interval(days => d.days) decide_by, x.escalated_at, x.handled_by,
           c.flagged_by, p.suspended_by
      from (${candidates}) cand
      join claims c on c.id = cand.id
      join providers p on p.id = c.provider_id
      join enrolments e on e.id = c.enrolment_id
      left join credential_revocations cr on cr.provider_id = c.provider_id and cr.credential_id = c.credential_id
      cross join lateral (
        select case
                 when c.status = 'in_review' and c.flagged_by = 'system:revocation' then 'credential_revoked'
                 when c.status = 'in_review' then coalesce(
                   (select r.v from jsonb_array_elements_text(c.review_reasons) with ordinality r(v, n) where r.v <> 'flagged_by_officer' order by r.n limit 1),
                   'flagged_by_officer')
                 when c.status = 'approved' and c.on_hold and c.flagged_by = 'system:revocation' then 'credential_revoked'
                 when c.status = 'approved' and c.on_hold then 'flagged_by_officer'
                 when c.status = 'approved' and p.status = 'suspended'
                  and not exists (select 1 from payment_line_claims plc join payment_lines pl on pl.id = plc.line_id
                                   where plc.claim_id = c.id and plc.live = 1 and pl.status <> 'proposed') then 'provider_suspended'
               end code) k0
      cross join lateral (
        select k0.code,
               case k0.code
                 when 'credential_revoked' then coalesce(cr.reason, c.flag_reason)
                 when 'flagged_by_officer' then c.flag_reason
                 when 'provider_suspended' then p.suspension_reason
               end detail) k
      cross join lateral (
        select case
                 when c.status = 'in_review' then c.submitted_at
                 when k.code = 'credential_revoked' then greatest(cr.revoked_at, c.decided_at)
                 when k.code = 'flagged_by_officer' then coalesce(
                   (select min(a.occurred_at) from audit_events a
                     where a.entity_type = 'claim' and a.entity_id = c.id::text and a.action = 'claim.flagged' and a.occurred_at >= c.decided_at),
                   c.decided_at)
                 else greatest(coalesce(p.suspended_at, p.updated_at), c.decided_at)
               end since) s
      cross join lateral (
        select coalesce(min(coalesce((sv.rules->>'holdDecisionDays')::int, ${HOLD_DECISION_DAYS_DEFAULT}::int)), ${HOLD_DECISION_DAYS_DEFAULT}::int) days
          from jsonb_each_text(e.rule_versions) rv
          join scheme_rule_versions sv on sv.scheme_id = rv.key::uuid and sv.version = rv.value::int) d
      left join claim_hold_escalations x on x.claim_id = c.id and x.held_since = s.since
     where k.code is not null`;
}

const shaped = (h: SQL) => sql`
  select h.id::text claim_id, h.provider_id::text provider_id, h.provider_name, h.currency, h.amount, h.claim_status, h.reason_code, h.detail,
         ${iso(sql`h.since`)} since, ${iso(sql`h.decide_by`)} decide_by, ${iso(sql`h.escalated_at`)} escalated_at, h.handled_by
    from (${h}) h`;

/** The open hold of each of these claims that is held. */
export async function holdsOfClaims(db: Executor, claimIds: string[]): Promise<HoldRow[]> {
  if (claimIds.length === 0) return [];
  const r = await db.execute<HoldRow & Record<string, unknown>>(shaped(holds(sql`select unnest(${sql.param(claimIds)}::uuid[]) id`)));
  return r.rows;
}

export interface OpenHoldsFilter {
  escalated?: boolean | undefined;
  after?: { decideBy: string; claimId: string } | null;
  limit: number;
}

/** Open holds, soonest deadline first, keyset paged by (decide_by, claim id). */
export async function openHolds(db: Executor, f: OpenHoldsFilter): Promise<HoldRow[]> {
  const r = await db.execute<HoldRow & Record<string, unknown>>(sql`
    select * from (${shaped(sql`
      select * from (${holds(everyHeldClaim)}) o
       where (${f.escalated ?? null}::boolean is null or (o.escalated_at is not null) = ${f.escalated ?? null}::boolean)
         and ${f.after ? sql`(o.decide_by, o.id) > (${f.after.decideBy}::timestamptz, ${f.after.claimId}::uuid)` : sql`true`}
       order by o.decide_by, o.id
       limit ${f.limit}`)}) q
     order by q.decide_by, q.claim_id`);
  return r.rows;
}

export async function holdCounts(db: Executor, now: Date): Promise<{ open: number; overdue: number; escalated: number }> {
  const r = await db.execute<{ open: number; overdue: number; escalated: number }>(sql`
    select count(*)::int open, (count(*) filter (where o.decide_by < ${now.toISOString()}::timestamptz))::int overdue,
           (count(*) filter (where o.escalated_at is not null))::int escalated
      from (${holds(everyHeldClaim)}) o`);
  return r.rows[0] ?? { open: 0, overdue: 0, escalated: 0 };
}

export interface EscalatedRow {
  claim_id: string;
  reason_code: string;
  held_since: string;
  decide_by: string;
  handled_by: string[];
}

/**
 * Escalates up to `limit` holds whose deadline passed before `now` and that
 * are not escalated yet; returns those this call escalated (a concurrent
 * sweep's are skipped by the primary key). handled_by: whoever placed the
 * hold or acted on it before now — flagged it, proposed a decision on it,
 * rejected a proposed decision, suspended the provider.
 */
export async function insertEscalations(tx: Tx, now: Date, limit: number): Promise<EscalatedRow[]> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const r = await tx.execute<EscalatedRow & Record<string, unknown>>(sql`
    with due as (
      select * from (${holds(everyHeldClaim)}) o where o.escalated_at is null and o.decide_by < ${at} order by o.decide_by, o.id limit ${limit}
    )
    insert into claim_hold_escalations (claim_id, held_since, reason_code, decide_by, escalated_at, handled_by)
    select due.id, due.since, due.reason_code, due.decide_by, ${at},
           array(select distinct w.who from (
             select due.flagged_by who where due.reason_code = 'flagged_by_officer'
             union all
             select a.actor_id from audit_events a
              where a.entity_type = 'claim' and a.entity_id = due.id::text and a.action = 'claim.flagged' and a.occurred_at >= due.since
             union all
             select ap.proposed_by from approvals ap where ap.kind = ${REVIEW_DECISION} and ap.subject_id = due.id::text and ap.proposed_at >= due.since
             union all
             select ap.decided_by from approvals ap
              where ap.kind = ${REVIEW_DECISION} and ap.subject_id = due.id::text and ap.proposed_at >= due.since and ap.status = 'rejected'
             union all
             select due.suspended_by where due.reason_code = 'provider_suspended'
           ) w where w.who is not null and w.who not like 'system:%' order by w.who)
      from due
    on conflict do nothing
    returning claim_id::text claim_id, reason_code, ${iso(sql`held_since`)} held_since, ${iso(sql`decide_by`)} decide_by, handled_by`);
  return r.rows;
}
