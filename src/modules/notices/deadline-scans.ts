import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import type { ServiceDeps } from '../deps.js';

const DAY_MS = 86_400_000;
/** How many deadlines one scan records at most; the next run takes the rest. */
const SCAN_LIMIT = 5000;

/**
 * Records one event per row `due` finds, with outbox_append and the row's
 * dedupe key. `due` selects the columns type, subject_type, subject_id,
 * learner_id, provider_id, scheme_id, data, dedupe_key, and leaves out
 * what was recorded before (so its limit moves on).
 */
async function recordDue(tx: Tx, at: Date, due: SQL): Promise<number> {
  const r = await tx.execute<{ n: number }>(sql`
    with due as (${due} limit ${SCAN_LIMIT})
    select count(*) filter (where outbox_append(d.type, ${at.toISOString()}::timestamptz, d.subject_type, d.subject_id, d.learner_id,
                                                d.provider_id, d.scheme_id, d.data, d.dedupe_key))::int as n
      from due d`);
  return r.rows[0]?.n ?? 0;
}

const notRecorded = (key: SQL) => sql`not exists (select 1 from outbox_events o where o.dedupe_key = ${key})`;

/**
 * Records the events of deadlines drawing near, each once (its dedupe key):
 * - grant.expiring, data.days 30 then 7: an active grant with credit left,
 *   30 days before its expiry (only while more than 7 remain, so a grant
 *   given late does not get both at once) and 7 days before;
 * - grant.first_use_due: an active grant never used, 5 days before its
 *   first-use deadline;
 * - enrolment.consent_due: a request still awaiting consent, 2 days before it lapses.
 * Each scan reads its partial index (grants_expiry_idx, grants_first_use_idx,
 * enrolments_consent_idx) over its window only.
 */
export async function scanDeadlines(deps: ServiceDeps): Promise<{ expiring30: number; expiring7: number; firstUseDue: number; consentDue: number }> {
  return inTransaction(deps.database.db, async (tx) => {
    const now = deps.clock.now();
    const inDays = (days: number) => sql`${new Date(now.getTime() + days * DAY_MS).toISOString()}::timestamptz`;
    const nowTs = sql`${now.toISOString()}::timestamptz`;

    const expiring = (days: 30 | 7, after: SQL, until: SQL) => {
      const key = sql`'grant.expiring:' || ${String(days)}::text || ':' || g.id::text`;
      return recordDue(tx, now, sql`
        select 'grant.expiring' as type, 'grant' as subject_type, g.id as subject_id, g.learner_id, null::uuid as provider_id, g.scheme_id,
               jsonb_build_object('days', ${days}::int, 'amount', a.available::text, 'currency', g.currency, 'expiresAt', g.expires_at) as data,
               ${key} as dedupe_key
          from grants g cross join lateral ledger_balance(g.id) b
               cross join lateral (select ledger_available(b.credits_posted, b.debits_posted, b.debits_pending) as available) a
         where g.status = 'active' and g.expires_at is not null and g.expires_at > ${after} and g.expires_at <= ${until}
           and a.available > 0 and ${notRecorded(key)}`);
    };
    const expiring30 = await expiring(30, inDays(7), inDays(30));
    const expiring7 = await expiring(7, nowTs, inDays(7));

    const firstUseKey = sql`'grant.first_use_due:' || g.id::text`;
    const firstUseDue = await recordDue(tx, now, sql`
      select 'grant.first_use_due' as type, 'grant' as subject_type, g.id as subject_id, g.learner_id, null::uuid as provider_id, g.scheme_id,
             jsonb_build_object('days', 5, 'currency', g.currency, 'firstUseDeadline', g.first_use_deadline) as data, ${firstUseKey} as dedupe_key
        from grants g
       where g.status = 'active' and g.first_used_at is null and g.first_use_deadline is not null
         and g.first_use_deadline > ${nowTs} and g.first_use_deadline <= ${inDays(5)} and ${notRecorded(firstUseKey)}`);

    const consentKey = sql`'enrolment.consent_due:' || e.id::text`;
    const consentDue = await recordDue(tx, now, sql`
      select 'enrolment.consent_due' as type, 'enrolment' as subject_type, e.id as subject_id, e.learner_id, e.provider_id, null::uuid as scheme_id,
             jsonb_build_object('consentDeadline', e.consent_deadline) as data, ${consentKey} as dedupe_key
        from enrolments e
       where e.status = 'requested' and e.consent_deadline > ${nowTs} and e.consent_deadline <= ${inDays(2)} and ${notRecorded(consentKey)}`);

    return { expiring30, expiring7, firstUseDue, consentDue };
  });
}
