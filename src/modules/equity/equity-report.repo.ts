import { sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { equityDimensions } from '../../db/schema/index.js';

export { equityDimensions };
export type EquityDimension = (typeof equityDimensions)[number];

/**
 * The group a learner falls in, per dimension, as SQL over `pr` (the equity
 * profile in force at asOf, possibly none) and `l` (the learner). Unstated is
 * its own group. Ages are whole years on the asOf date (UTC), as age() counts them;
 * an erased learner has no birth date, so no age band: not_stated.
 */
function groupExpression(dimension: EquityDimension, asOf: string): SQL {
  switch (dimension) {
    case 'incomeGroup': return sql`coalesce(pr.income_group, 'not_stated')`;
    case 'region': return sql`coalesce(pr.region, 'not_stated')`;
    case 'urbanRural': return sql`coalesce(pr.urban_rural, 'not_stated')`;
    case 'gender': return sql`coalesce(pr.gender, 'not_stated')`;
    case 'disability': return sql`case pr.disability when true then 'yes' when false then 'no' else 'not_stated' end`;
    case 'ageBand': {
      const age = sql`date_part('year', age((${asOf}::timestamptz at time zone 'UTC')::date, l.date_of_birth))`;
      return sql`case when l.date_of_birth is null then 'not_stated'
                      when ${age} < 15 then 'under_15' when ${age} < 25 then '15-24' when ${age} < 35 then '25-34' when ${age} < 45 then '35-44'
                      when ${age} < 55 then '45-54' when ${age} < 65 then '55-64' else '65+' end`;
    }
  }
}

/**
 * Whether each learner of the report's `pop` rows had completed a pathway of
 * the scheme by asOf, and its stacked credential was not revoked by then.
 * The one place the report learns of pathways.
 */
const stackedPathway = (asOf: string): SQL => sql`exists (
  select 1 from pathway_completions pc
   where pc.learner_id = p.learner_id and pc.scheme_id = p.scheme_id and pc.completed_at <= ${asOf}::timestamptz
     and (pc.revoked_at is null or pc.revoked_at > ${asOf}::timestamptz))`;

export interface EquityCellRow {
  scheme_id: string; code: string; name: string; currency: string; grp: string | null;
  learners: number; enrolled: number; completed: number; stacked: number | null; credit_used: string; co_pay: string; enrolments: number;
}

/**
 * One row per scheme and group as of asOf (schemes without learners have a
 * row with grp null): learners granted (a grant under the scheme granted by
 * asOf), of them those with an enrolment funded by the scheme reserved by
 * asOf, those with a claim on such an enrolment approved by asOf and not
 * reversed by then, credit used (claim payments from the scheme's grants,
 * less reversals, by asOf), and the co-payments of those enrolments.
 */
export async function equityCells(db: Db | Tx, asOf: string, dimension: EquityDimension, schemeId: string | undefined): Promise<EquityCellRow[]> {
  const r = await db.execute<EquityCellRow & Record<string, unknown>>(sql`
    with s as (
      select id, code, name, currency, budget_account_id from schemes
       where created_at <= ${asOf}::timestamptz and (${schemeId ?? null}::uuid is null or id = ${schemeId ?? null}::uuid)
    ),
    pop as (
      select distinct g.scheme_id, g.learner_id from grants g join s on s.id = g.scheme_id where g.granted_at <= ${asOf}::timestamptz
    ),
    legs as (
      select er.scheme_id, er.learner_id, er.enrolment_id, er.grant_id, er.transfer_id, e.co_pay
        from enrolment_reservations er
        join enrolments e on e.id = er.enrolment_id
        join pop on pop.scheme_id = er.scheme_id and pop.learner_id = er.learner_id
       where e.reserved_at <= ${asOf}::timestamptz
    ),
    enrol as (
      select d.scheme_id, d.learner_id, count(*) enrolments, sum(d.co_pay) co_pay,
             -- Completed: every module (a plain course: its one claim) approved by asOf and not reversed by then.
             bool_or((
               select count(distinct c.module_ordinal) from claims c
                where c.enrolment_id = d.enrolment_id and c.status in ('approved', 'paid', 'reversed')
                  and c.decided_at <= ${asOf}::timestamptz and (c.reversed_at is null or c.reversed_at > ${asOf}::timestamptz)
             ) >= (
               select greatest(1, jsonb_array_length(co.modules)) from enrolments ce
                 join course_runs cr on cr.id = ce.course_run_id join courses co on co.id = cr.course_id
                where ce.id = d.enrolment_id
             )) completed
        from (select distinct scheme_id, learner_id, enrolment_id, co_pay from legs) d
       group by d.scheme_id, d.learner_id
    ),
    paid as (
      select l.scheme_id, l.learner_id, sum(t.amount) amount
        from legs l join ledger_transfers_as_of(${asOf}::timestamptz) t on t.pending_id = l.transfer_id
       where t.kind = 'post_pending' and t.code = 'claim_payment'
       group by l.scheme_id, l.learner_id
    ),
    reversed as (
      select d.scheme_id, d.learner_id, sum(t.amount) amount
        from (select distinct scheme_id, learner_id, enrolment_id from legs) d
        join s on s.id = d.scheme_id
        join ledger_transfers_as_of(${asOf}::timestamptz) t on t.reference_id = d.enrolment_id
       where t.kind = 'posted' and t.code in ('claim_reversal', 'claim_reversal_to_scheme')
         and (t.credit_account_id = s.budget_account_id
              or t.credit_account_id in (select x.grant_id from legs x where x.enrolment_id = d.enrolment_id and x.scheme_id = d.scheme_id))
       group by d.scheme_id, d.learner_id
    ),
    pr as (
      select distinct on (ep.learner_id) ep.*
        from learner_equity_profiles ep
       where ep.recorded_at <= ${asOf}::timestamptz and ep.learner_id in (select learner_id from pop)
       order by ep.learner_id, ep.recorded_at desc, ep.id desc
    ),
    per as (
      select p.scheme_id, ${groupExpression(dimension, asOf)} grp, en.learner_id is not null enrolled, coalesce(en.completed, false) completed,
             ${stackedPathway(asOf)} stacked, coalesce(pa.amount, 0) - coalesce(rv.amount, 0) credit_used,
             coalesce(en.co_pay, 0) co_pay, coalesce(en.enrolments, 0) enrolments
        from pop p
        join learners l on l.id = p.learner_id
        left join pr on pr.learner_id = p.learner_id
        left join enrol en on en.scheme_id = p.scheme_id and en.learner_id = p.learner_id
        left join paid pa on pa.scheme_id = p.scheme_id and pa.learner_id = p.learner_id
        left join reversed rv on rv.scheme_id = p.scheme_id and rv.learner_id = p.learner_id
    ),
    cells as (
      select scheme_id, grp, count(*)::int learners, (count(*) filter (where enrolled))::int enrolled,
             (count(*) filter (where completed))::int completed,
             case when bool_and(stacked is not null) then (count(*) filter (where stacked))::int end stacked,
             sum(credit_used)::text credit_used, sum(co_pay)::text co_pay, sum(enrolments)::int enrolments
        from per group by scheme_id, grp
    )
    select s.id scheme_id, s.code, s.name, s.currency, c.grp, coalesce(c.learners, 0) learners, coalesce(c.enrolled, 0) enrolled,
           coalesce(c.completed, 0) completed, c.stacked, coalesce(c.credit_used, '0') credit_used, coalesce(c.co_pay, '0') co_pay,
           coalesce(c.enrolments, 0) enrolments
      from s left join cells c on c.scheme_id = s.id
     order by s.code, s.id, c.grp`);
  return r.rows;
}
