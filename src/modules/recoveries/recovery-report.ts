import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { minorUnitsSchema as money } from '../../lib/money.js';
import type { Db, Tx } from '../../db/client.js';

export const recoveryFiguresSchema = z.object({
  providerId: z.uuid(), legalName: z.string(), currency: z.string(), recoveries: z.number().int(),
  opened: money.meta({ description: 'paid claims found wrong: what the provider owed back' }),
  netted: money.meta({ description: 'deducted from payment lines the bank has paid' }),
  nettingInFlight: money.meta({ description: 'deducted from payment lines released but not yet paid by the bank' }),
  refunded: money.meta({ description: "paid back by the provider, seen on the treasury's bank statement" }),
  cancelledByReturn: money.meta({ description: 'recoveries of payments the bank then returned: the provider never had the money' }),
  repaid: money.meta({ description: 'paid back to providers that had paid back more than they owed, on released lines' }),
  outstanding: money.meta({ description: 'what providers still owe; below zero, what the service owes them back' }),
});
export type RecoveryFigures = z.output<typeof recoveryFiguresSchema>;

export const recoveryReportSchema = z.object({ asOf: z.string(), providers: z.array(recoveryFiguresSchema) }).meta({ id: 'RecoveryReport' });

/**
 * Recoveries per provider and currency as of an instant, from rows that do
 * not change once written: a netting counts as netted once its line was
 * settled by then (and not returned by then), as in flight while its line
 * was released but unpaid. A netting on a batch rejected later is counted
 * as never made (rejection keeps no instant).
 */
export async function recoveryFigures(db: Db | Tx, asOf: string): Promise<RecoveryFigures[]> {
  const r = await db.execute<Record<string, string>>(sql`
    with r as (select * from recoveries where opened_at <= ${asOf}::timestamptz),
    s as (
      select s.recovery_id, s.kind, s.amount, s.payment_line_id, l.status line_status, l.settled_at, l.returned_at
        from recovery_settlements s left join payment_lines l on l.id = s.payment_line_id
       where s.created_at <= ${asOf}::timestamptz and s.recovery_id in (select id from r)
    ),
    -- A netting or repayment rides on its payment line: final once the line was paid by asOf (and not returned by then),
    -- in flight while the line was released but unpaid.
    on_line as (
      select s.*, (s.settled_at <= ${asOf}::timestamptz and (s.returned_at is null or s.returned_at > ${asOf}::timestamptz)) as final,
             (s.line_status <> 'cancelled' and (s.settled_at is null or s.settled_at > ${asOf}::timestamptz)
               and (s.returned_at is null or s.returned_at > ${asOf}::timestamptz)) as flying
        from s where s.payment_line_id is not null
    ),
    per as (
      select r.id, r.provider_id, r.currency, r.amount,
             coalesce((select sum(amount) from on_line o where o.recovery_id = r.id and o.kind = 'netting' and o.final), 0) netted,
             coalesce((select sum(amount) from on_line o where o.recovery_id = r.id and o.kind = 'netting' and o.flying), 0) in_flight,
             coalesce((select sum(amount) from s where s.recovery_id = r.id and s.kind = 'refund'), 0) refunded,
             coalesce((select sum(amount) from s where s.recovery_id = r.id and s.kind = 'return'), 0) cancelled,
             coalesce((select sum(amount) from on_line o where o.recovery_id = r.id and o.kind = 'repayment' and (o.final or o.flying)), 0) repaid
        from r
    )
    select per.provider_id, p.legal_name, per.currency, count(*)::int recoveries, sum(per.amount)::text opened, sum(per.netted)::text netted,
           sum(per.in_flight)::text in_flight, sum(per.refunded)::text refunded, sum(per.cancelled)::text cancelled, sum(per.repaid)::text repaid,
           sum(per.amount - per.netted - per.in_flight - per.refunded - per.cancelled + per.repaid)::text outstanding
      from per join providers p on p.id = per.provider_id
     group by per.provider_id, p.legal_name, per.currency
     order by per.currency, per.provider_id`);
  return r.rows.map((x) => ({
    providerId: x.provider_id!, legalName: x.legal_name!, currency: x.currency!, recoveries: Number(x.recoveries), opened: x.opened!, netted: x.netted!,
    nettingInFlight: x.in_flight!, refunded: x.refunded!, cancelledByReturn: x.cancelled!, repaid: x.repaid!, outstanding: x.outstanding!,
  }));
}
