import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { Express } from 'express';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics, safeErrorText, type Metrics } from '../../src/lib/metrics.js';
import { runMaintenance } from '../../src/maintenance.js';
import type { ServiceDeps } from '../../src/modules/deps.js';
import { useHarness } from '../support/harness.js';
import { createSigningKey } from '../support/signing-key.js';

/**
 * Issue 12, item 3: one failing background task stopped the ones behind it
 * (the idempotency-key purge never ran while the fold failed) and showed
 * nowhere but a warning in the log. Each task now runs on its own, and a
 * failure shows in /metrics and in /readyz: which task, when, and why,
 * without personal data.
 */
const NAME = 'Tan Ah Kow';
const NRIC = 'S1234567D';

const h = useHarness();
let app: Express;
let metrics: Metrics;
let deps: ServiceDeps & { metrics: Metrics };
const logLines: string[] = [];

beforeAll(async () => {
  metrics = createMetrics();
  const authenticator = (await createSigningKey({ kid: 'tasks' })).authenticator();
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger('info', sink);
  // The same metrics for the app and the background work, as src/server.ts wires them.
  app = createApp({ ...h.deps, logger, metrics, authenticator, bodyLimit: '256kb' });
  deps = { ...h.deps, logger, metrics };
});

/** Makes every fold fail the way the issue saw it: "bigint out of range", here with a person's data in the message. */
async function breakTheFold() {
  await h.database.pool.query(`
    create or replace function test_fail_fold() returns trigger language plpgsql as $$
    begin
      raise exception 'value "${NAME}" for ${NRIC} born 1990-03-14 is out of range for type bigint' using errcode = '22003';
    end $$`);
  await h.database.pool.query(`
    create trigger test_fail_fold before update on ledger_accounts for each row
      when (not (new.debits_must_not_exceed_credits or new.credits_must_not_exceed_debits)) execute function test_fail_fold()`);
}
async function mendTheFold() {
  await h.database.pool.query(`drop trigger test_fail_fold on ledger_accounts`);
}

/** Two unlimited accounts and a transfer between them: deltas the fold must apply. */
async function deltasToFold() {
  const [x, y] = [randomUUID(), randomUUID()];
  await h.ledger.createAccounts(h.database.db, [
    { id: x, currency: 'SGD', kind: 'provider_payable', limit: 'none' },
    { id: y, currency: 'SGD', kind: 'provider_payable', limit: 'none' },
  ]);
  await h.ledger.commit(h.database.db, [{ id: randomUUID(), kind: 'posted', debitAccountId: x, creditAccountId: y, amount: 100n, code: 'test' }]);
}

async function expiredIdempotencyKey(): Promise<string> {
  const key = randomUUID();
  const past = new Date(h.clock.now().getTime() - 86_400_000).toISOString();
  await h.database.pool.query(
    `insert into idempotency_keys (scope, key, request_hash, status, body, created_at, expires_at) values ('test', $1, 'x', 201, '{}', $2, $2)`,
    [key, past],
  );
  return key;
}
const keyExists = async (key: string) => (await h.database.pool.query(`select 1 from idempotency_keys where key = $1`, [key])).rowCount === 1;

const metricLine = (text: string, name: string, task: string) => {
  const m = new RegExp(`^${name}\\{task="${task}"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
};

describe('GET /readyz and GET /metrics with background tasks', () => {
  it('when the fold fails, then the idempotency-key purge and every other task still run, /metrics counts the failure by task and /readyz names the task, when and why, without personal data', async () => {
    await deltasToFold();
    const key = await expiredIdempotencyKey();
    await breakTheFold();
    const failedAt = h.clock.now();

    const result = await runMaintenance(deps);
    expect(result.failures).toEqual([{ task: 'fold_deltas', error: expect.stringContaining('22003') }]);
    expect(result.folded).toBeUndefined();
    expect(result.keysPurged).toBe(1);
    expect(await keyExists(key)).toBe(false);

    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({
      status: 'degraded',
      database: 'ok',
      migrations: 'current',
      failingTasks: ['fold_deltas'],
      tasks: {
        fold_deltas: { status: 'failing', lastFailureAt: failedAt.toISOString(), lastSuccessAt: null, consecutiveFailures: 1 },
        purge_idempotency_keys: { status: 'ok', lastSuccessAt: failedAt.toISOString(), consecutiveFailures: 0 },
        expire_pending: { status: 'ok' },
        sweep_grants: { status: 'ok' },
      },
    });
    const why = ready.body.tasks.fold_deltas.lastError as string;
    expect(why).toMatch(/^22003 .*out of range for type bigint/);
    for (const personal of [NAME, NRIC, '1990-03-14']) expect(ready.text).not.toContain(personal);

    const scraped = await request(app).get('/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.text).toContain('# TYPE background_task_failures_total counter');
    expect(metricLine(scraped.text, 'background_task_failures_total', 'fold_deltas')).toBe(1);
    expect(metricLine(scraped.text, 'background_task_failures_total', 'purge_idempotency_keys')).toBe(0);
    expect(metricLine(scraped.text, 'background_task_failing', 'fold_deltas')).toBe(1);
    expect(metricLine(scraped.text, 'background_task_last_failure_timestamp_seconds', 'fold_deltas')).toBe(failedAt.getTime() / 1000);
    expect(metricLine(scraped.text, 'background_task_last_success_timestamp_seconds', 'purge_idempotency_keys')).toBe(failedAt.getTime() / 1000);
    expect(metricLine(scraped.text, 'background_task_last_success_timestamp_seconds', 'fold_deltas')).toBeUndefined();

    // The log names the task; it carries no personal data either.
    const logged = logLines.filter((l) => l.includes('background task failed'));
    expect(logged.length).toBe(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({ task: 'fold_deltas', error: why, consecutiveFailures: 1 });
    for (const personal of [NAME, NRIC, '1990-03-14']) expect(logLines.join('\n')).not.toContain(personal);

    // Mended, the next run succeeds, the failure stays on record and the service is ready again.
    await mendTheFold();
    h.clock.advance(60_000);
    const mended = await runMaintenance(deps);
    expect(mended.failures).toEqual([]);
    expect(mended.folded).toBe(2);
    const after = await request(app).get('/readyz');
    expect(after.body).toMatchObject({
      status: 'ready',
      tasks: { fold_deltas: { status: 'ok', lastSuccessAt: h.clock.now().toISOString(), lastFailureAt: failedAt.toISOString(), consecutiveFailures: 0 } },
    });
    expect(after.body).not.toHaveProperty('failingTasks');
    const again = await request(app).get('/metrics');
    expect(metricLine(again.text, 'background_task_failures_total', 'fold_deltas')).toBe(1);
    expect(metricLine(again.text, 'background_task_failing', 'fold_deltas')).toBe(0);
  });

  it('when the fold sets an overflowing delta aside, then the other tasks are unaffected, /readyz says degraded with the count and /metrics exposes ledger_quarantined_deltas', async () => {
    const payable = randomUUID();
    await h.ledger.createAccounts(h.database.db, [{ id: payable, currency: 'SGD', kind: 'provider_payable', limit: 'none' }]);
    await h.database.pool.query(`insert into ledger_account_deltas (account_id, credits_posted) values ($1, 5), ($1, 9223372036854775807)`, [payable]);
    const key = await expiredIdempotencyKey();

    const result = await runMaintenance(deps);
    expect(result.failures).toEqual([]);
    expect(result.quarantined).toBe(1);
    expect(await keyExists(key)).toBe(false);
    expect(logLines.some((l) => l.includes('set deltas aside'))).toBe(true);

    const ready = await request(app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'degraded', ledger: { quarantinedDeltas: 1 }, tasks: { fold_deltas: { status: 'ok' } } });
    const scraped = await request(app).get('/metrics');
    expect(scraped.text).toMatch(/^ledger_quarantined_deltas 1$/m);

    // Resolved by an operator (here: removed), the service is ready again.
    await h.database.pool.query(`delete from ledger_quarantined_deltas where account_id = $1`, [payable]);
    await runMaintenance(deps);
    const after = await request(app).get('/readyz');
    expect(after.body.status).toBe('ready');
    expect(after.body).not.toHaveProperty('ledger');
    expect((await request(app).get('/metrics')).text).toMatch(/^ledger_quarantined_deltas 0$/m);
  });
});

describe('safeErrorText', () => {
  it('when an error quotes values, then only its SQLSTATE, its words and its identifiers are left', () => {
    const pgError = Object.assign(new Error(`invalid input syntax for type date: "14/03/1990"`), { code: '22007', detail: `Key (full_name)=(${NAME})` });
    expect(safeErrorText(pgError)).toBe('22007 invalid input syntax for type date: "…"');
    const wrapped = Object.assign(new Error(`Failed query: insert into learners values ($1)\nparams: ${NRIC},${NAME}`), {
      cause: Object.assign(new Error('new row for relation "learners" violates check constraint "learners_dob"'), { code: '23514' }),
    });
    expect(safeErrorText(wrapped)).toBe('23514 new row for relation "learners" violates check constraint "learners_dob"');
    const text = safeErrorText(new Error(`cannot pay jane.doe@example.com, account 0720123456, id ${NRIC}, born 1990-03-14`));
    for (const personal of ['jane.doe@example.com', '0720123456', NRIC, '1990-03-14']) expect(text).not.toContain(personal);
  });
});
