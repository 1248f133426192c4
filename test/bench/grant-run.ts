import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { connect, type Database } from '../../src/db/client.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { systemClock } from '../../src/lib/clock.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createNationalIdProtector } from '../../src/lib/national-id.js';
import type { ServiceDeps } from '../../src/modules/deps.js';
import { createGrantRun, workGrantRun } from '../../src/modules/grants/grants.service.js';
import { schemeRulesSchema } from '../../src/modules/schemes/scheme-rules.js';
import { allocateBudget, createScheme } from '../../src/modules/schemes/schemes.service.js';

/**
 * Without BENCH_DATABASE_URL the bench starts its own PostgreSQL, durable
 * (fsync and synchronous_commit on) and sized like a production server on
 * this 24 GiB machine rather than the 128 MB defaults.
 */
export const benchServerSettings = {
  shared_buffers: '4GB',
  max_wal_size: '8GB',
  checkpoint_timeout: '15min',
  effective_cache_size: '12GB',
  maintenance_work_mem: '512MB',
  work_mem: '32MB',
};
const GRANT_AMOUNT = 50_000n; // SGD 500
const actor = { role: 'system' as const, subject: 'bench' };

const withDatabase = (url: string, database: string) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

async function adminQuery(url: string, text: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { value, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}

const log = (line: string) => process.stdout.write(`${line}\n`);
const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export async function main(args: string[]) {
  const { values } = parseArgs({
    args,
    options: { learners: { type: 'string', default: '1000000' }, 'batch-size': { type: 'string', default: '10000' } },
  });
  const n = Number(values.learners);
  const batchSize = Number(values['batch-size']);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error('--learners must be a positive whole number');
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new Error('--batch-size must be a positive whole number');

  const server = await benchServer();
  const serverUrl = server.url;
  const name = `lc_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${name}`);
  let database: Database | undefined;
  try {
    database = connect(withDatabase(serverUrl, name), { poolSize: 4, logger: createLogger('silent'), applicationName: 'lc-bench' });
    const db = database.db;
    const version = (await db.execute<{ v: string }>(sql`select version() v`)).rows[0]!.v;
    const settings = (await db.execute<{ name: string; setting: string; unit: string | null }>(sql`
      select name, setting, unit from pg_settings where name in ('shared_buffers', 'synchronous_commit', 'fsync', 'max_wal_size', 'work_mem') order by name`)).rows;
    log('## grant-run benchmark');
    log('');
    log(`- machine: nproc ${os.cpus().length} (${os.cpus()[0]?.model ?? 'unknown cpu'}), total memory ${fmt(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}`);
    log(`- PostgreSQL: ${version}`);
    log(`- settings: ${settings.map((s) => `${s.name}=${s.unit === '8kB' ? `${(Number(s.setting) * 8) / 1024}MB` : `${s.setting}${s.unit ?? ''}`}`).join(', ')}`);
    log(`- database: ${name} (fresh, dropped at the end); learners ${n.toLocaleString('en-US')}; batch size ${batchSize.toLocaleString('en-US')}`);
    log('');

    await applyMigrations(db);
    const clock = systemClock;
    const deps: ServiceDeps = {
      database,
      ledger: new Ledger({ clock, metrics: createMetrics() }),
      clock,
      logger: createLogger('silent'),
      nationalIds: createNationalIdProtector(randomBytes(32).toString('hex')),
    };

    // N learners in one set-based statement; dates of birth spread over 1950-01-01 .. ~1999-04.
    const seed = await timed(() =>
      db.execute(sql`
        insert into learners (id, country, national_id_hash, national_id_masked, subject_id, full_name, date_of_birth,
                              citizenship, employment_status, income_group, created_at)
        select gen_random_uuid(), 'SG', sha256(i::text::bytea), '****' || lpad((i % 10000)::text, 4, '0'),
               'urn:uuid:' || gen_random_uuid(), 'Bench Learner ' || i, date '1950-01-01' + (i % 18000),
               'SG', (array['employed', 'self_employed', 'unemployed', 'retired'])[1 + i % 4], (array['low', 'middle', 'high'])[1 + i % 3], now()
          from generate_series(1, ${n}::int) as i`),
    );
    await db.execute(sql`vacuum analyze learners`);
    log(`- seeded ${n.toLocaleString('en-US')} learners in ${fmt(seed.seconds, 2)} s (one INSERT ... SELECT from generate_series)`);

    // Baseline: the same row count into a bare table with a uuid pk and one secondary index.
    await db.execute(sql`create table bench_scratch (id uuid primary key, learner_id uuid not null, amount bigint not null, created_at timestamptz not null)`);
    await db.execute(sql`create index bench_scratch_learner_idx on bench_scratch (learner_id)`);
    const baseline = await timed(() =>
      db.execute(sql`insert into bench_scratch select gen_random_uuid(), gen_random_uuid(), 50000, now() from generate_series(1, ${n}::int)`),
    );
    await db.execute(sql`drop table bench_scratch`);
    log(`- baseline: plain INSERT ... SELECT of ${n.toLocaleString('en-US')} rows (uuid pk + 1 index) in ${fmt(baseline.seconds, 2)} s`);

    const schemeId = await createScheme(
      deps, db,
      { code: 'BENCH-SFC', name: 'Bench credit', country: 'SG', currency: 'SGD', rules: schemeRulesSchema.parse({ eligibleCitizenships: ['SG'] }) },
      { actor },
    );
    await allocateBudget(deps, db, schemeId, GRANT_AMOUNT * BigInt(n), 'bench', { actor });
    await db.execute(sql`checkpoint`);

    const run = await timed(async () => {
      const r = await createGrantRun(deps, db, schemeId, { criteria: { citizenships: ['SG'], employmentStatuses: [], incomeGroups: [] }, amount: GRANT_AMOUNT }, { actor });
      return workGrantRun(deps, r, { batchSize });
    });
    if (run.value !== 'completed') throw new Error(`the grant run ended ${run.value}`);
    const rate = n / run.seconds;
    log(`- grant run: createGrantRun + workGrantRun ${run.value} in ${fmt(run.seconds, 2)} s`);
    log('');

    const verify = await timed(async () => {
      const counts = (await db.execute<{ grants: string; learners: string; amount: string }>(sql`
        select count(*)::text grants, count(distinct learner_id)::text learners, coalesce(sum(amount), 0)::text amount from grants`)).rows[0]!;
      const violations = await ledgerViolations(db);
      return { counts, violations };
    });
    const { counts, violations } = verify.value;
    const ok = BigInt(counts.grants) === BigInt(n) && BigInt(counts.learners) === BigInt(n) && BigInt(counts.amount) === GRANT_AMOUNT * BigInt(n) && violations.length === 0;

    log('| learners | seconds | grants/s | baseline insert (s) | grant run / baseline |');
    log('|---:|---:|---:|---:|---:|');
    log(`| ${n.toLocaleString('en-US')} | ${fmt(run.seconds, 2)} | ${fmt(rate, 0)} | ${fmt(baseline.seconds, 2)} | ${fmt(run.seconds / baseline.seconds, 2)}x |`);
    log('');
    log(`- verify (${fmt(verify.seconds, 2)} s): grants ${counts.grants}, distinct learners ${counts.learners}, total granted ${counts.amount} minor units, ledger violations ${violations.length}`);
    for (const v of violations.slice(0, 20)) log(`  - ${v}`);
    log(`- result: ${ok ? 'OK' : 'FAILED'}`);
    if (!ok) process.exitCode = 1;
  } finally {
    await database?.close();
    await adminQuery(serverUrl, `drop database if exists ${name} with (force)`);
    log(`- dropped ${name}`);
    await server.stop();
  }
}

export async function benchServer(): Promise<{ url: string; stop(): Promise<void> }> {
  if (process.env.BENCH_DATABASE_URL) return { url: process.env.BENCH_DATABASE_URL, stop: async () => {} };
  const { mkdtemp, chmod, rm } = await import('node:fs/promises');
  const path = await import('node:path');
  const { startEmbeddedPostgres } = await import('../../src/db/embedded.js');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lc-bench-'));
  await chmod(dir, 0o755);
  const embedded = await startEmbeddedPostgres({ dataDir: dir, logger: createLogger('warn'), settings: benchServerSettings });
  return {
    url: embedded.url('postgres'),
    async stop() {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
