/**
 * Shared helpers for the HTTP load benchmarks: a fresh database on the bench
 * server, set-based seeding, the API as a child process (so the load
 * generator does not share its event loop), signed tokens, autocannon and
 * pgbench runners.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, chmod } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'drizzle-orm';
import { exportJWK, generateKeyPair, CompactSign, type CryptoKey, type JWK } from 'jose';
import pg from 'pg';
import { connect, type Database, type Db } from '../../src/db/client.js';
import { freePort } from '../../src/db/embedded.js';
import { applyMigrations } from '../../src/db/migrate.js';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { Ledger } from '../../src/ledger/ledger.js';
import { systemClock } from '../../src/lib/clock.js';
import { newId } from '../../src/lib/ids.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createNationalIdProtector } from '../../src/lib/national-id.js';
import { defaultPolicy } from '../../src/modules/deps.js';
import { completionCredential } from '../../src/modules/credentials/credential-shape.js';
import type { ServiceDeps } from '../../src/modules/deps.js';
import { createGrantRun, workGrantRun } from '../../src/modules/grants/grants.service.js';
import { ensureProviderPayable } from '../../src/modules/providers/providers.service.js';
import { schemeRulesSchema } from '../../src/modules/schemes/scheme-rules.js';
import { allocateBudget, createScheme } from '../../src/modules/schemes/schemes.service.js';
import { createSigningKey } from '../support/signing-key.js';
import { benchServerSettings } from './grant-run.js';

const execFileP = promisify(execFile);
export const log = (line = '') => process.stdout.write(`${line}\n`);
export const fmt = (n: number, digits = 1) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { value, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
}
const actor = { role: 'system' as const, subject: 'bench' };
export const ISSUER = 'learning-credits-bench';
export const AUDIENCE = 'learning-credits-api';

// ---------------------------------------------------------------- database

export interface BenchDb {
  serverUrl: string;
  url: string;
  name: string;
  database: Database;
  db: Db;
  deps: ServiceDeps;
  /** pg_stat_statements is loaded (own embedded server only). */
  statements: boolean;
  close(): Promise<void>;
}

const withDatabase = (url: string, database: string) => {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
};

export async function adminQuery(url: string, text: string) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(text);
  } finally {
    await c.end();
  }
}

/**
 * The server of benchServer() (same production-like settings) plus
 * pg_stat_statements, so the benches can count statements per request.
 */
async function ownServer(): Promise<{ url: string; statements: boolean; stop(): Promise<void> }> {
  if (process.env.BENCH_DATABASE_URL) return { url: process.env.BENCH_DATABASE_URL, statements: false, stop: async () => {} };
  const { startEmbeddedPostgres } = await import('../../src/db/embedded.js');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lc-bench-'));
  await chmod(dir, 0o755);
  const embedded = await startEmbeddedPostgres({
    dataDir: dir,
    logger: createLogger('warn'),
    settings: { ...benchServerSettings, max_connections: '200', shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track': 'all' },
  });
  return {
    url: embedded.url('postgres'),
    statements: true,
    async stop() {
      await embedded.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function openBenchDb(): Promise<BenchDb> {
  const server = await ownServer();
  const name = `lc_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(server.url, `create database ${name}`);
  const url = withDatabase(server.url, name);
  const database = connect(url, { poolSize: 4, logger: createLogger('silent'), applicationName: 'lc-bench' });
  await applyMigrations(database.db);
  let statements = false;
  if (server.statements) {
    try {
      await database.db.execute(sql`create extension if not exists pg_stat_statements`);
      statements = true;
    } catch {
      statements = false;
    }
  }
  const deps: ServiceDeps = {
    database,
    ledger: new Ledger({ clock: systemClock, metrics: createMetrics() }),
    clock: systemClock,
    logger: createLogger('silent'),
    nationalIds: createNationalIdProtector(randomBytes(32).toString('hex')),
  };
  return {
    serverUrl: server.url,
    url,
    name,
    database,
    db: database.db,
    deps,
    statements,
    async close() {
      await database.close();
      await adminQuery(server.url, `drop database if exists ${name} with (force)`);
      await server.stop();
    },
  };
}

export async function machineLines(db: Db) {
  const version = (await db.execute<{ v: string }>(sql`select version() v`)).rows[0]!.v;
  const settings = (await db.execute<{ name: string; setting: string; unit: string | null }>(sql`
    select name, setting, unit from pg_settings where name in ('shared_buffers', 'synchronous_commit', 'fsync', 'max_wal_size') order by name`)).rows;
  log(`- machine: nproc ${os.cpus().length} (${os.cpus()[0]?.model ?? 'unknown cpu'}), ${fmt(os.totalmem() / 2 ** 30)} GiB, ${os.type()} ${os.release()}, node ${process.version}`);
  log(`- PostgreSQL: ${version.split(',')[0]}; ${settings.map((s) => `${s.name}=${s.unit === '8kB' ? `${(Number(s.setting) * 8) / 1024}MB` : `${s.setting}${s.unit ?? ''}`}`).join(', ')}`);
}

// ---------------------------------------------------------------- seeding

export interface World {
  schemeId: string;
  providers: string[];
  courses: { id: string; providerId: string }[];
  runs: { id: string; providerId: string; courseId: string }[];
  learners: { id: string; subject: string }[];
}

/** N learners, one set-based INSERT; then one grant each through a grant run (the ledger's bulk path). */
export async function seedLearnersWithGrants(b: BenchDb, n: number, grantAmount: bigint): Promise<{ schemeId: string; seconds: number }> {
  const t = await timed(async () => {
    await b.db.execute(sql`
      insert into learners (id, country, national_id_hash, national_id_masked, subject_id, full_name, date_of_birth,
                            citizenship, employment_status, income_group, created_at)
      select gen_random_uuid(), 'SG', sha256(i::text::bytea), '****' || lpad((i % 10000)::text, 4, '0'),
             'urn:uuid:' || gen_random_uuid(), 'Bench Learner ' || i, date '1960-01-01' + (i % 12000),
             'SG', (array['employed', 'self_employed', 'unemployed', 'retired'])[1 + i % 4], (array['low', 'middle', 'high'])[1 + i % 3], now()
        from generate_series(1, ${n}::int) as i`);
    await b.db.execute(sql`vacuum analyze learners`);
    const schemeId = await createScheme(
      b.deps, b.db,
      { code: `BENCH-${randomBytes(3).toString('hex')}`, name: 'Bench credit', country: 'SG', currency: 'SGD', rules: schemeRulesSchema.parse({ eligibleCitizenships: ['SG'] }) },
      { actor },
    );
    await allocateBudget(b.deps, b.db, schemeId, grantAmount * BigInt(n), 'bench', { actor });
    const run = await createGrantRun(b.deps, b.db, schemeId, { criteria: { citizenships: ['SG'], employmentStatuses: [], incomeGroups: [] }, amount: grantAmount }, { actor });
    const status = await workGrantRun(b.deps, run, { batchSize: 10_000 });
    if (status !== 'completed') throw new Error(`grant run ended ${status}`);
    await b.db.execute(sql`vacuum analyze`);
    return schemeId;
  });
  return { schemeId: t.value, seconds: t.seconds };
}

/**
 * Providers, one course each approved for the scheme, and runs spread over
 * them: starting in 30 days, capacity 10,000,000, the given fee. Direct
 * inserts consistent with src/db/schema; payables created through the service.
 */
export async function seedCatalogue(b: BenchDb, schemeId: string, spec: { providers: number; runs: number; fee: bigint }): Promise<Omit<World, 'learners' | 'schemeId'>> {
  const providers = Array.from({ length: spec.providers }, () => newId());
  const courses = providers.map((providerId) => ({ id: newId(), providerId }));
  const runs = Array.from({ length: spec.runs }, (_, i) => {
    const c = courses[i % courses.length]!;
    return { id: newId(), providerId: c.providerId, courseId: c.id };
  });
  const bank = JSON.stringify({ scheme: 'SG_FAST', bankCode: '7171', accountNumber: '0123456789', holderName: 'Bench Provider' });
  for (const [i, id] of providers.entries()) {
    await b.db.execute(sql`insert into providers (id, legal_name, registration_number, country, status, bank_account, created_at, updated_at)
      values (${id}, ${`Bench Provider ${i}`}, ${`BENCH${i}${randomBytes(3).toString('hex')}`}, 'SG', 'active', ${bank}::jsonb, now(), now())`);
  }
  for (const [i, c] of courses.entries()) {
    await b.db.execute(sql`insert into courses (id, provider_id, code, title, category, hours, created_at)
      values (${c.id}, ${c.providerId}, ${`C${i}`}, 'Bench course', 'data', 20, now())`);
    await b.db.execute(sql`insert into course_approvals (course_id, scheme_id, approved_at, approved_by) values (${c.id}, ${schemeId}, now(), 'bench')`);
  }
  await b.db.execute(sql`
    insert into course_runs (id, course_id, provider_id, starts_at, ends_at, fee, currency, capacity, created_at)
    select r.id::uuid, r.course_id::uuid, r.provider_id::uuid, now() + interval '30 days', now() + interval '60 days', ${spec.fee}, 'SGD', 10000000, now()
      from jsonb_to_recordset(${JSON.stringify(runs.map((r) => ({ id: r.id, course_id: r.courseId, provider_id: r.providerId })))}::jsonb)
           as r(id text, course_id text, provider_id text)`);
  for (const p of providers) await ensureProviderPayable(b.db, b.deps.ledger, p, 'SGD');
  return { providers, courses, runs };
}

export async function learnerIds(b: BenchDb, limit?: number): Promise<{ id: string; subject: string }[]> {
  const rows = (await b.db.execute<{ id: string; subject_id: string }>(
    limit ? sql`select id, subject_id from learners order by random() limit ${limit}` : sql`select id, subject_id from learners`,
  )).rows;
  return rows.map((r) => ({ id: r.id, subject: r.subject_id }));
}

export async function reportInvariants(b: BenchDb): Promise<number> {
  const violations = await ledgerViolations(b.db);
  log(`- ledger invariants: ${violations.length === 0 ? 'hold (0 violations)' : `${violations.length} violation(s)`}`);
  for (const v of violations.slice(0, 10)) log(`  - ${v}`);
  return violations.length;
}

// ---------------------------------------------------------------- keys and tokens

export interface Signer {
  jwksPath: string;
  token(claims: Record<string, unknown> & { sub: string }): Promise<string>;
  tokens(claims: (Record<string, unknown> & { sub: string })[]): Promise<string[]>;
  dir: string;
}

export async function makeSigner(): Promise<Signer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lc-bench-keys-'));
  const key = await createSigningKey({ kid: 'bench-1', issuer: ISSUER, audience: AUDIENCE, lifetimeSeconds: 3 * 3600 });
  const jwksPath = path.join(dir, 'jwks.json');
  await key.writeJwks(jwksPath);
  const token = (claims: Record<string, unknown> & { sub: string }) => key.sign(claims);
  return {
    jwksPath,
    dir,
    token,
    async tokens(all) {
      const out: string[] = [];
      for (let i = 0; i < all.length; i += 1000) out.push(...(await Promise.all(all.slice(i, i + 1000).map(token))));
      return out;
    },
  };
}

/** A provider signing key, registered directly in provider_keys, and a VC-JWT signer for it. */
export async function providerCredentialKey(b: BenchDb, providerId: string) {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const kid = `bench-${providerId.slice(-6)}`;
  const pub: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA' };
  await b.db.execute(sql`insert into provider_keys (id, provider_id, kid, alg, public_jwk, status, created_at)
    values (${newId()}, ${providerId}, ${kid}, 'EdDSA', ${JSON.stringify(pub)}::jsonb, 'active', now())`);
  return {
    sign: (e: { learnerSubject: string; courseId: string }, issuedAt: Date) => signCredential(privateKey, kid, providerId, e, issuedAt),
  };
}

async function signCredential(key: CryptoKey, kid: string, providerId: string, e: { learnerSubject: string; courseId: string }, issuedAt: Date) {
  const credential = completionCredential({
    providerId, subjectId: e.learnerSubject, id: `urn:uuid:${randomUUID()}`, validFrom: issuedAt, attendanceBps: 10_000, status: 'Completed',
    course: { courseId: e.courseId, title: 'Bench course', hours: 16, microCredential: null },
  });
  return new CompactSign(new TextEncoder().encode(JSON.stringify(credential))).setProtectedHeader({ alg: 'EdDSA', kid, typ: 'vc+jwt' }).sign(key);
}

// ---------------------------------------------------------------- the API as a child process

export interface Api {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const repoRoot = path.resolve(import.meta.dirname, '../..');

export async function startApi(b: BenchDb, signer: Signer, extraEnv: Record<string, string> = {}): Promise<Api> {
  const port = await freePort();
  // BENCH_API_NODE_ARGS passes flags to the API's node, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it.
  const nodeArgs = process.env.BENCH_API_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  // BENCH_API_BUILD=1 runs the production build (npm run build, then node dist/server.js) instead of tsx over src/.
  const built = process.env.BENCH_API_BUILD === '1';
  if (built) await execFileP('npm', ['run', '-s', 'build'], { cwd: repoRoot, maxBuffer: 1 << 24 });
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...(built ? ['dist/server.js'] : ['--import', 'tsx', 'src/server.ts'])], {
    cwd: repoRoot,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      TREASURY_ACCOUNTS: JSON.stringify(defaultPolicy.treasuryAccounts),
      DATABASE_URL: b.url,
      PORT: String(port),
      HOST: '127.0.0.1',
      AUTH_JWKS: signer.jwksPath,
      AUTH_ISSUER: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
      NATIONAL_ID_KEY: randomBytes(32).toString('hex'),
      SCHEME_KEY_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      SEED_DEMO: 'false',
      DB_POOL_SIZE: process.env.BENCH_DB_POOL_SIZE ?? '20',
      SWEEP_INTERVAL_MS: '0',
      DATA_DIR: signer.dir,
      ...extraEnv,
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.on('exit', () => (exited = true));
  for (let i = 0; ; i++) {
    if (exited) throw new Error('the API process exited during start-up');
    try {
      const res = await fetch(`${url}/healthz`);
      if (res.ok) break;
    } catch {
      /* not yet */
    }
    if (i > 300) throw new Error('the API did not start within 30 s');
    await sleep(100);
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (exited) return;
      const done = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([done, sleep(10_000)]);
      if (!exited) child.kill('SIGKILL');
    },
  };
}

/** CPU seconds (user+system) of a process and of all postgres processes, from /proc. */
export async function cpuSeconds(pid: number): Promise<{ node: number; postgres: number }> {
  const { readFile, readdir } = await import('node:fs/promises');
  const tick = 100;
  const of = async (p: string) => {
    try {
      const stat = await readFile(`/proc/${p}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), cpu: (Number(f[11]) + Number(f[12])) / tick };
    } catch {
      return { comm: '', cpu: 0 };
    }
  };
  let postgres = 0;
  for (const p of await readdir('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    const s = await of(p);
    if (s.comm === 'postgres') postgres += s.cpu;
  }
  return { node: (await of(String(pid))).cpu, postgres };
}

/**
 * Busy CPU seconds of the whole machine so far (all processes, user + system,
 * from /proc/stat). Over a pgbench run this counts the backends that exit
 * with it, which per-process sampling misses.
 */
export async function machineBusySeconds(): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const f = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) / 100;
}

// ---------------------------------------------------------------- load

const require = createRequire(import.meta.url);
// autocannon ships no types; this is the part of its API used here.
type AutocannonResult = {
  '2xx': number; non2xx: number; errors: number; timeouts: number; duration: number; requests: { total: number };
  latency: { p50: number; p99: number; average: number; max: number }; statusCodeStats?: Record<string, { count: number }>;
};
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;
const autocannon = require('autocannon') as Autocannon;

export interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  okPerSecond: number;
  p50: number;
  p99: number;
  statusCodes: Record<string, number>;
}

export async function load(opts: {
  url: string; connections: number; duration?: number; amount?: number;
  method: 'GET' | 'POST'; path: string;
  next: () => { headers: Record<string, string>; body?: string; path?: string };
}): Promise<LoadResult> {
  const r = await autocannon({
    url: opts.url,
    connections: opts.connections,
    pipelining: 1,
    ...(opts.duration ? { duration: opts.duration } : {}),
    ...(opts.amount ? { amount: opts.amount } : {}),
    timeout: 30,
    requests: [
      {
        method: opts.method,
        path: opts.path,
        setupRequest: (req: Record<string, unknown>) => {
          const n = opts.next();
          return { ...req, headers: { ...(req.headers as Record<string, string>), ...n.headers }, ...(n.body !== undefined ? { body: n.body } : {}), ...(n.path ? { path: n.path } : {}) };
        },
      },
    ],
  });
  const statusCodes: Record<string, number> = {};
  for (const [k, v] of Object.entries(r.statusCodeStats ?? {})) statusCodes[k] = v.count;
  return {
    ok: r['2xx'], non2xx: r.non2xx, errors: r.errors, seconds: r.duration, okPerSecond: r['2xx'] / r.duration,
    p50: r.latency.p50, p99: r.latency.p99, statusCodes,
  };
}

// ---------------------------------------------------------------- pgbench on the same server

function pgEnv(serverUrl: string) {
  const u = new URL(serverUrl);
  return {
    ...process.env,
    PGHOST: u.hostname, PGPORT: u.port || '5432', PGUSER: decodeURIComponent(u.username || 'postgres'),
    PGPASSWORD: decodeURIComponent(u.password), PGDATABASE: u.pathname.slice(1) || 'postgres',
  };
}

export async function pgbenchInit(serverUrl: string, scale: number): Promise<{ database: string; seconds: number; drop(): Promise<void> }> {
  const database = `pgbench_${randomBytes(4).toString('hex')}`;
  await adminQuery(serverUrl, `create database ${database}`);
  const t = await timed(() => execFileP('pgbench', ['-i', '-q', '-s', String(scale), database], { env: pgEnv(serverUrl), maxBuffer: 1 << 24 }));
  return { database, seconds: t.seconds, drop: () => adminQuery(serverUrl, `drop database if exists ${database} with (force)`).then(() => undefined) };
}

/** pgbench -M prepared: its built-in tpcb-like, or a custom script (`-f`, no vacuum of pgbench's own tables). */
export async function pgbenchRun(
  serverUrl: string, database: string, clients: number, seconds: number, options: { script?: string } = {},
): Promise<{ tps: number; latencyMs: number; machineCpuMsPerTx: number; failed: number }> {
  const busy0 = await machineBusySeconds();
  const script = options.script ? ['-n', '-f', options.script] : [];
  const { stdout } = await execFileP('pgbench', ['-M', 'prepared', ...script, '-c', String(clients), '-j', '2', '-T', String(seconds), database], {
    env: pgEnv(serverUrl), maxBuffer: 1 << 24,
  });
  const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(stdout);
  const lat = /latency average = ([\d.]+) ms/.exec(stdout);
  if (!tps) throw new Error(`pgbench printed no tps:\n${stdout}`);
  const busy = (await machineBusySeconds()) - busy0;
  const processed = /number of transactions actually processed: (\d+)/.exec(stdout);
  const transactions = processed ? Number(processed[1]) : Number(tps[1]) * seconds;
  const failed = /number of failed transactions: (\d+)/.exec(stdout);
  return { tps: Number(tps[1]), latencyMs: lat ? Number(lat[1]) : NaN, machineCpuMsPerTx: (busy * 1000) / Math.max(1, transactions), failed: failed ? Number(failed[1]) : 0 };
}

// ---------------------------------------------------------------- statements per request

export async function resetStatements(b: BenchDb) {
  if (b.statements) await b.db.execute(sql`select pg_stat_statements_reset()`);
}

/** Statements executed in the bench database since the last reset, by kind, top few. */
export async function statementsSince(b: BenchDb): Promise<{ total: number; topLevel: number; top: { calls: number; ms: number; query: string }[] } | undefined> {
  if (!b.statements) return undefined;
  const rows = (await b.db.execute<{ calls: string; ms: string; query: string; toplevel: boolean }>(sql`
    select s.calls::text, s.total_exec_time::text ms, s.query, s.toplevel from pg_stat_statements s join pg_database d on d.oid = s.dbid
     where d.datname = current_database() and s.query not ilike '%pg_stat_statements%' order by s.calls desc, s.total_exec_time desc`)).rows;
  const total = rows.reduce((s, r) => s + Number(r.calls), 0);
  const topLevel = rows.filter((r) => r.toplevel).reduce((s, r) => s + Number(r.calls), 0);
  return { total, topLevel, top: rows.slice(0, 30).map((r) => ({ calls: Number(r.calls), ms: Number(r.ms), query: r.query.replace(/\s+/g, ' ').slice(0, 140) })) };
}
