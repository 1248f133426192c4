import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { connect } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createNationalIdProtector } from '../../src/lib/national-id.js';
import type { ServiceDeps } from '../../src/modules/deps.js';
import { importStatement } from '../../src/modules/reconciliation/reconciliation.service.js';
import { benchServer } from './grant-run.js';

const log = (line: string) => process.stdout.write(`${line}\n`);
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/**
 * Reconciliation: N bank statement lines against N pending payment lines
 * (each paying one approved claim). Setup is set-based SQL and not timed;
 * the import (parse, classify, post N pending transfers, mark lines settled
 * and claims paid) is timed, with the process's resident memory sampled
 * every 10 ms. Baseline in the same run: inserting N rows of the same width
 * with one unnest INSERT.
 */
export async function main(args: string[]) {
  const { values } = parseArgs({ args, options: { lines: { type: 'string', default: '100000' } } });
  const n = Number(values.lines);
  const server = await benchServer();
  const name = `lc_bench_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  const database = connect(url.toString(), { poolSize: 4, logger: createLogger('silent') });
  try {
    const db = database.db;
    await applyMigrations(db);
    const version = (await db.execute<{ v: string }>(sql`select version() v`)).rows[0]!.v;
    log('## reconcile benchmark\n');
    log(`- machine: nproc ${os.cpus().length}, memory ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}`);
    log(`- PostgreSQL: ${version.split(',')[0]}; lines ${n.toLocaleString('en-US')}`);

    const t0 = process.hrtime.bigint();
    await db.execute(sql`select set_config('synchronous_commit', 'off', false)`); // setup only
    await db.execute(sql`
      with l as (insert into learners (id, country, national_id_hash, national_id_masked, subject_id, full_name, date_of_birth, citizenship, employment_status, income_group, created_at)
                 values ('00000000-0000-7000-8000-000000000001', 'SG', '\\x00', '*****000A', 'urn:uuid:bench', 'Bench', '1990-01-01', 'SG', 'employed', 'middle', now()) returning id)
      insert into ledger_accounts (id, currency, kind) values ('00000000-0000-7000-8000-0000000000c1', 'SGD', 'bank_clearing')`);
    await db.execute(sql`
      insert into ledger_accounts (id, currency, kind, owner_id)
      select ('00000000-0000-7000-9000-' || lpad(to_hex(p), 12, '0'))::uuid, 'SGD', 'provider_payable', null from generate_series(1, 1000) p`);
    await db.execute(sql`
      insert into disbursement_batches (id, currency, cut_off, message_id, status, line_count, control_sum, requested_execution_date, created_at, created_by, released_at, released_by)
      select ('00000000-0000-7000-a000-' || lpad(to_hex(b), 12, '0'))::uuid, 'SGD', now(), 'LCBBENCH' || b, 'submitted', 1000, 0, current_date, now(), 'bench', now(), 'bench-second-officer'
        from generate_series(1, ${Math.ceil(n / 1000)}) b`);
    await db.execute(sql`
      with s as (select i, ('00000000-0000-7001-8000-' || lpad(to_hex(i), 12, '0'))::uuid as line_id,
                        ('00000000-0000-7002-8000-' || lpad(to_hex(i), 12, '0'))::uuid as transfer_id,
                        ('00000000-0000-7003-8000-' || lpad(to_hex(i), 12, '0'))::uuid as enrolment_id,
                        ('00000000-0000-7004-8000-' || lpad(to_hex(i), 12, '0'))::uuid as claim_id,
                        ('00000000-0000-7000-9000-' || lpad(to_hex(1 + (i % 1000)), 12, '0'))::uuid as payable,
                        ('00000000-0000-7000-a000-' || lpad(to_hex(1 + (i - 1) / 1000), 12, '0'))::uuid as batch_id,
                        (10000 + i % 50000)::bigint as amount
                   from generate_series(1, ${n}) i),
      t as (insert into ledger_transfers (id, kind, debit_account_id, credit_account_id, amount, currency, state, code, reference_id, created_at)
            select transfer_id, 'pending', payable, '00000000-0000-7000-8000-0000000000c1', amount, 'SGD', 'pending', 'disbursement', line_id, now() from s returning 1),
      pl as (insert into payment_lines (id, batch_id, provider_id, end_to_end_id, amount, claims_total, currency, creditor_name, creditor_account, transfer_id, status)
             select line_id, batch_id, payable, 'LC' || replace(line_id::text, '-', ''), amount, amount, 'SGD', 'Provider', '{}'::jsonb, transfer_id, 'pending' from s returning 1),
      e as (insert into enrolments (id, learner_id, course_run_id, provider_id, currency, fee, funded, co_pay, status, origin, requested_at)
            select enrolment_id, '00000000-0000-7000-8000-000000000001', gen_random_uuid(), payable, 'SGD', amount, amount, 0, 'completed', 'self', now() from s returning 1),
      c as (insert into claims (id, enrolment_id, learner_id, provider_id, currency, amount_claimed, status, credential_id, credential_sha256, submitted_at, decided_at)
            select claim_id, enrolment_id, '00000000-0000-7000-8000-000000000001', payable, 'SGD', amount, 'approved', 'urn:bench:' || i, 'x', now(), now() from s returning 1),
      plc as (insert into payment_line_claims (line_id, claim_id, amount) select line_id, claim_id, amount from s returning 1)
      select (select count(*) from t), (select count(*) from pl), (select count(*) from c), (select count(*) from plc)`);
    await db.execute(sql`
      insert into ledger_account_deltas (account_id, debits_pending, debits_posted, credits_pending, credits_posted)
      select debit_account_id, sum(amount), 0, 0, 0 from ledger_transfers where code = 'disbursement' group by debit_account_id
      union all select '00000000-0000-7000-8000-0000000000c1', 0, 0, sum(amount), 0 from ledger_transfers where code = 'disbursement'`);
    await db.execute(sql`select set_config('synchronous_commit', 'on', false)`);
    await db.execute(sql`analyze`);
    let rows = (await db.execute<{ ref: string; amount: string }>(sql`select end_to_end_id as ref, amount::text from payment_lines order by end_to_end_id`)).rows;
    // Every line booked, for the SGD disbursement account: the status and account checks run on every line.
    const csv = ['# account: 0720123456', 'booking_date,end_to_end_id,amount,currency,direction,type,status',
      ...rows.map((r) => `2027-03-01,${r.ref},${(BigInt(r.amount) / 100n).toString()}.${(BigInt(r.amount) % 100n).toString().padStart(2, '0')},SGD,DBIT,payment,BOOK`)].join('\n');
    log(`- setup (not timed): ${seconds(t0).toFixed(1)} s; statement ${(csv.length / 2 ** 20).toFixed(1)} MiB`);

    const baselineT = process.hrtime.bigint();
    await db.execute(sql`create table scratch (id uuid primary key, ref text, amount bigint, currency char(3), booking_date date)`);
    await db.execute(sql`insert into scratch select gen_random_uuid(), x.ref, x.amount, 'SGD', '2027-03-01'
      from unnest(${sql.param(rows.map((r) => r.ref))}::text[], ${sql.param(rows.map((r) => r.amount))}::bigint[]) as x(ref, amount)`);
    const baseline = seconds(baselineT);

    // Only the statement text is the service's input; drop the bench's own copies before measuring.
    rows = [];
    const deps: ServiceDeps = {
      database, ledger: new Ledger({ clock: systemClock }), clock: systemClock, logger: createLogger('silent'),
      nationalIds: createNationalIdProtector('x'.repeat(32)),
    };
    global.gc?.();
    await new Promise((r) => setTimeout(r, 50));
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const importT = process.hrtime.bigint();
    const summary = await importStatement(deps, db, { format: 'csv', content: csv }, { actor: { role: 'system', subject: 'bench' } });
    const elapsed = seconds(importT);
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);

    const check = (await db.execute<{ settled: number; paid: number }>(sql`
      select (select count(*) from payment_lines where status = 'settled')::int settled, (select count(*) from claims where status = 'paid')::int paid`)).rows[0]!;
    const violations = await ledgerViolations(db);
    const ok = summary.settled === n && check.settled === n && check.paid === n && violations.length === 0;
    log('');
    log('| lines | import (s) | lines/s | peak RSS (MB) | baseline insert (s) | import / baseline |');
    log('|---:|---:|---:|---:|---:|---:|');
    log(`| ${n.toLocaleString('en-US')} | ${elapsed.toFixed(2)} | ${Math.round(n / elapsed).toLocaleString('en-US')} | ${(peak / 2 ** 20).toFixed(0)} | ${baseline.toFixed(2)} | ${(elapsed / baseline).toFixed(2)}x |`);
    log('');
    log(`- verify: settled ${check.settled}, claims paid ${check.paid}, exceptions ${summary.exceptions}, ledger violations ${violations.length}; RSS before import ${(rssBefore / 2 ** 20).toFixed(0)} MB`);
    log(`- result: ${ok ? 'OK' : 'FAILED'}`);
    if (!ok) process.exitCode = 1;
  } finally {
    await database.close();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    await server.stop();
  }
}
