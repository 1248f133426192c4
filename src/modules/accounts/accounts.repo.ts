import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { toBigInt } from '../../lib/money.js';

export interface GrantBalanceRow {
  grantId: string;
  schemeId: string;
  schemeName: string;
  currency: string;
  amount: bigint;
  available: bigint;
  reserved: bigint;
  spent: bigint;
  expired: bigint;
  grantedAt: Date;
  expiresAt: Date | null;
  /** The first enrolment must come by then or the balance lapses (Prakerja); null once used, or when the scheme sets none. */
  firstUseDeadline: Date | null;
  status: string;
}

interface GrantFigures {
  id: string; schemeId: string; schemeName: string; currency: string; amount: string; grantedAt: string; expiresAt: string | null;
  status: string; available: string; reserved: string; debitsPosted: string; returned: string;
  firstUseDeadline: string | null; firstUsedAt: string | null;
}

/**
 * Each grant of a learner with its figures read from the ledger, soonest
 * expiry first; undefined when there is no such learner.
 */
export async function grantBalances(db: Db | Tx, learnerId: string): Promise<GrantBalanceRow[] | undefined> {
  const r = await db.execute<{ grants: GrantFigures[] | null }>(sql`select learner_account(${learnerId}::uuid) as grants`);
  const grants = r.rows[0]?.grants;
  if (!grants) return undefined;
  return grants.map((x) => {
    const returned = toBigInt(x.returned);
    return {
      grantId: x.id,
      schemeId: x.schemeId,
      schemeName: x.schemeName,
      currency: x.currency,
      amount: toBigInt(x.amount),
      available: x.status === 'active' ? toBigInt(x.available) : 0n,
      reserved: toBigInt(x.reserved),
      spent: toBigInt(x.debitsPosted) - returned,
      expired: returned,
      grantedAt: new Date(x.grantedAt),
      expiresAt: x.expiresAt ? new Date(x.expiresAt) : null,
      firstUseDeadline: x.firstUseDeadline && !x.firstUsedAt && x.status === 'active' ? new Date(x.firstUseDeadline) : null,
      status: x.status,
    };
  });
}

export interface MovementRow {
  id: string;
  kind: string;
  code: string;
  amount: bigint;
  currency: string;
  direction: 'credit' | 'debit';
  grantId: string;
  schemeName: string;
  referenceId: string | null;
  createdAt: Date;
  /** For movements of an enrolment: what it was for. */
  course: { title: string; runStarts: string } | null;
  /** For a payment that posted less than its reservation: what went back to the credit. */
  returned: bigint;
  /** For a reservation the learner agreed to at a service counter: the officer who recorded it. */
  counterOfficer: string | null;
}

/**
 * Every movement on a learner's grants, newest first, keyset-paginated on
 * (created_at, id). Two index scans (debit side, credit side) merged.
 */
export async function learnerMovements(
  db: Db | Tx,
  learnerId: string,
  page: { before?: { at: string; id: string } | undefined; limit: number },
): Promise<MovementRow[]> {
  const before = page.before
    ? sql`and (t.created_at, t.id) < (${page.before.at}::timestamptz, ${page.before.id}::uuid)`
    : sql``;
  const r = await db.execute<Record<string, string | null>>(sql`
    with mine as (select g.id, s.name from grants g join schemes s on s.id = g.scheme_id where g.learner_id = ${learnerId}),
    moves as (
      (select t.*, 'debit' as direction, m.id as grant_id, m.name as scheme_name
         from mine m cross join lateral ledger_debits_of(m.id) t where true ${before}
        order by t.created_at desc, t.id desc limit ${page.limit})
      union all
      (select t.*, 'credit', m.id, m.name
         from mine m cross join lateral ledger_credits_of(m.id) t where true ${before}
        order by t.created_at desc, t.id desc limit ${page.limit})
    )
    select m.id, m.kind, m.code, m.amount::text, m.currency, m.direction, m.grant_id, m.scheme_name, m.reference_id,
           to_char(m.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as created_at,
           c.title as course_title, to_char(r.starts_at at time zone 'UTC', 'FMDD Mon YYYY') as run_starts,
           (case when m.kind = 'post_pending' then p.amount - m.amount else 0 end)::text as returned, ca.officer_subject as counter_officer
      from moves m
      left join lateral ledger_transfer(m.pending_id) p on m.kind = 'post_pending'
      left join enrolments e on e.id = m.reference_id
      left join course_runs r on r.id = e.course_run_id
      left join courses c on c.id = r.course_id
      left join lateral (select a.officer_subject from counter_acts a
                          where m.kind = 'pending' and a.enrolment_id = e.id and a.action = 'consent' limit 1) ca on true
     order by m.created_at desc, m.id desc limit ${page.limit}`);
  return r.rows.map((x) => ({
    id: x.id!,
    kind: x.kind!,
    code: x.code!,
    amount: toBigInt(x.amount),
    currency: x.currency!,
    direction: x.direction as 'credit' | 'debit',
    grantId: x.grant_id!,
    schemeName: x.scheme_name!,
    referenceId: x.reference_id ?? null,
    createdAt: new Date(x.created_at!),
    course: x.course_title ? { title: x.course_title, runStarts: x.run_starts! } : null,
    returned: toBigInt(x.returned ?? '0'),
    counterOfficer: x.counter_officer ?? null,
  }));
}
