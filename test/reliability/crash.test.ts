import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { authKeys, call, consistencyProblems, dbClient, pool, seedWorld, service, sleep, startPg, type Answer, type Pg, type Service } from './support.js';

/**
 * Issue 7, crash: a load of self-enrolments and claims, each with its own
 * Idempotency-Key; the server is killed with SIGKILL at random moments and
 * restarted; every request without an answer is retried with the same key
 * and body. Nothing acknowledged may be lost or doubled, nothing half-done
 * may remain.
 */
const LEARNERS = 150; // each makes one enrolment (run B) and is claimed for once (run A)
const CONCURRENCY = 16;

let pg: Pg;
let svc: Service;
let database: Database;

beforeAll(async () => {
  pg = await startPg();
  const keys = await authKeys(pg.dir);
  svc = await service(pg, keys, pg.dir);
  await svc.start();
  database = dbClient(pg);
  world = await seedWorld(svc.base, keys, { learners: LEARNERS, nricOffset: 1_000_000 + Math.floor(Math.random() * 1_000_000) });
}, 240_000);

afterAll(async () => {
  await svc?.stop();
  await database?.close();
  await pg?.close();
});

let world: Awaited<ReturnType<typeof seedWorld>>;

interface Req {
  kind: 'enrol' | 'claim';
  path: string;
  token: string;
  key: string;
  body: unknown;
  attempts: number;
  networkErrors: number;
  answer?: Answer;
}

describe('crash: SIGKILL under load, restart, retry with the same keys', () => {
  it('loses nothing acknowledged, doubles nothing, leaves nothing half-done', async () => {
    // Run A: enrol everyone now, let it end, then claim under load. Run B: enrol under load.
    const runA = await world.run(2_000, 3_000);
    const runB = await world.run(30 * 86_400_000, 86_400_000);
    const enrolledA: string[] = [];
    await pool(world.learners, 8, async (l, i) => {
      const r = await call(svc.base, 'POST', '/v1/me/enrolments', { token: l.token, key: randomUUID(), body: { courseRunId: runA.id } });
      if (r.status !== 201) throw new Error(`enrol A: ${r.status} ${JSON.stringify(r.body)}`);
      enrolledA[i] = r.body.id;
    });
    await sleep(Math.max(0, runA.endsAt.getTime() - Date.now()) + 1_500);

    const requests: Req[] = [];
    for (const [i, l] of world.learners.entries()) {
      requests.push({ kind: 'enrol', path: '/v1/me/enrolments', token: l.token, key: randomUUID(), body: { courseRunId: runB.id }, attempts: 0, networkErrors: 0 });
      requests.push({
        kind: 'claim', path: '/v1/claims', token: world.providerToken, key: randomUUID(),
        body: { enrolmentId: enrolledA[i], amount: '30000', credential: await world.credential(l.subjectId) }, attempts: 0, networkErrors: 0,
      });
    }
    requests.sort(() => Math.random() - 0.5);

    // The killer: 1–3 SIGKILLs at random moments while the load runs, restarting each time on the same port.
    const plannedKills = 1 + Math.floor(Math.random() * 3);
    let kills = 0;
    let loadDone = false;
    let restarting: Promise<void> | undefined;
    const killer = (async () => {
      for (let k = 0; k < plannedKills && !loadDone; k++) {
        await sleep(150 + Math.random() * 900);
        if (loadDone) break;
        await svc.kill9();
        kills++;
        restarting = svc.start();
        await restarting;
      }
    })();

    let retried = 0;
    let giveUps = 0;
    await pool(requests, CONCURRENCY, async (req) => {
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        req.attempts++;
        if (req.attempts > 1) retried++;
        try {
          const a = await call(svc.base, 'POST', req.path, { token: req.token, key: req.key, body: req.body, timeoutMs: 20_000 });
          // 503 (database busy) and 409 idempotency_key_in_use are "try again"; anything else is the answer.
          if (a.status === 503 || (a.status === 409 && a.body?.code === 'idempotency_key_in_use')) {
            await sleep(200);
            continue;
          }
          req.answer = a;
          return;
        } catch {
          req.networkErrors++;
          await sleep(100 + Math.random() * 200);
        }
      }
      giveUps++;
    });
    loadDone = true;
    await killer;
    await restarting;

    const unanswered = requests.filter((r) => !r.answer);
    const acked = requests.filter((r) => r.answer && r.answer.status >= 200 && r.answer.status < 300);
    const failedAnswers = requests.filter((r) => r.answer && (r.answer.status < 200 || r.answer.status >= 300));
    const hitByCrash = requests.filter((r) => r.networkErrors > 0);

    // Every acknowledged resource exists exactly once; nothing exists that was not acknowledged.
    const ackEnrol = acked.filter((r) => r.kind === 'enrol').map((r) => r.answer!.body.id as string);
    const ackClaim = acked.filter((r) => r.kind === 'claim').map((r) => r.answer!.body.id as string);
    const enrolRows = await database.pool.query(`select id from enrolments where course_run_id = $1`, [runB.id]);
    const claimRows = await database.pool.query(`select c.id from claims c join enrolments e on e.id = c.enrolment_id where e.course_run_id = $1`, [runA.id]);
    const inDb = (rows: { id: string }[]) => new Set(rows.map((r) => r.id));
    const enrolIds = inDb(enrolRows.rows);
    const claimIds = inDb(claimRows.rows);
    const lostEnrol = ackEnrol.filter((id) => !enrolIds.has(id));
    const lostClaim = ackClaim.filter((id) => !claimIds.has(id));
    const extraEnrol = enrolRows.rows.length - new Set(ackEnrol).size;
    const extraClaim = claimRows.rows.length - new Set(ackClaim).size;
    const claimStatuses = await database.pool.query(
      `select c.status, count(*)::int n from claims c join enrolments e on e.id = c.enrolment_id where e.course_run_id = $1 group by 1 order by 1`,
      [runA.id],
    );
    const problems = await consistencyProblems(database);

    console.log(
      `[reliability:crash] requests=${requests.length} (enrolments=${LEARNERS}, claims=${LEARNERS}) kills=${kills}/${plannedKills} ` +
        `attempts=${requests.reduce((s, r) => s + r.attempts, 0)} retried=${retried} hitByCrash=${hitByCrash.length} ` +
        `acked2xx=${acked.length} non2xx=${failedAnswers.length} unanswered=${unanswered.length} ` +
        `lost=${lostEnrol.length + lostClaim.length} duplicates/unacked-extra=${extraEnrol + extraClaim} ` +
        `claimStatuses=${JSON.stringify(claimStatuses.rows)} problems=${problems.length}`,
    );
    if (failedAnswers.length) console.log('[reliability:crash] non-2xx answers:', failedAnswers.slice(0, 5).map((r) => [r.kind, r.answer!.status, r.answer!.body]));
    if (problems.length) console.log('[reliability:crash] problems:', problems.slice(0, 20));

    expect(kills).toBeGreaterThanOrEqual(1);
    expect(giveUps).toBe(0);
    expect(unanswered).toHaveLength(0);
    expect(failedAnswers.map((r) => [r.kind, r.answer!.status, r.answer!.body?.code])).toEqual([]);
    expect(acked).toHaveLength(requests.length);
    expect(new Set(ackEnrol).size).toBe(LEARNERS);
    expect(new Set(ackClaim).size).toBe(LEARNERS);
    expect([...lostEnrol, ...lostClaim]).toEqual([]);
    expect(enrolRows.rows.length).toBe(LEARNERS);
    expect(claimRows.rows.length).toBe(LEARNERS);
    expect(problems).toEqual([]);
  }, 600_000);
});
