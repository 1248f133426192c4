import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { developmentKeySealer } from '../../src/lib/key-sealer.js';
import { createMetrics } from '../../src/lib/metrics.js';
import type { Runtime } from '../../src/runtime.js';
import { seedDemoData } from '../../src/seed/demo.js';
import { createHarness, type Harness } from '../support/harness.js';

/**
 * The demo seed follows the clock, not a year written in the code: the
 * SkillsFuture Credit 2020 top-up's credit ends on 31 Dec 2025 (Singapore
 * time), so seeded after that day it is closed and grants nothing, and seeded
 * before it its grants expire on that day. Every start logs the ids the
 * README uses.
 */

const TOPUP_END = '2025-12-31T15:59:59.000Z'; // 23:59:59 in Singapore

interface Seeded {
  h: Harness;
  lines: { msg: string; [k: string]: unknown }[];
  dataDir: string;
  seed(): Promise<void>;
}

async function seeded(now: Date): Promise<Seeded> {
  const h = await createHarness({ now });
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lc-ops-seed-'));
  const lines: Seeded['lines'] = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  const runtime = {
    database: h.database, ledger: h.ledger, clock: h.clock, metrics: createMetrics(), nationalIds: h.deps.nationalIds, keySealer: developmentKeySealer(),
    authenticator: { authenticate: async () => { throw new Error('not used'); } }, databaseUrl: 'test', close: async () => {},
  } satisfies Runtime;
  const s: Seeded = { h, lines, dataDir, seed: () => seedDemoData({ ...runtime, logger, dataDir }) };
  await s.seed();
  return s;
}

const admin = async (h: Harness, p: string) => request(h.app).get(p).set('authorization', `Bearer ${await h.token('admin')}`);
const schemeNamed = async (h: Harness, code: string) => {
  const res = await admin(h, '/v1/schemes');
  expect(res.status, res.text).toBe(200);
  return (res.body.items as { id: string; code: string; status: string }[]).find((s) => s.code === code)!;
};
const grantsOf = async (h: Harness, scheme: string) =>
  (await h.database.pool.query<{ learner_id: string; expires_at: Date | null; status: string }>(
    `select g.learner_id, g.expires_at, g.status from grants g join schemes s on s.id = g.scheme_id where s.code = $1`, [scheme])).rows;

describe('demo seed, in December 2026', () => {
  let s: Seeded;
  beforeAll(async () => {
    s = await seeded(new Date('2026-12-02T09:00:00Z'));
  });
  afterAll(async () => {
    await s.h.close();
    await rm(s.dataDir, { recursive: true, force: true });
  });

  it('when seeded, then the SkillsFuture pathway stacks both SkillsFuture courses with a SGD 100.00 bonus, and the seed log names it', async () => {
    const sfc = await schemeNamed(s.h, 'SG-SFC');
    const res = await admin(s.h, `/v1/pathways?schemeId=${sfc.id}`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([expect.objectContaining({
      code: 'DIGITAL-STARTER', status: 'active', rule: { kind: 'all' }, withinMonths: 12,
      award: expect.objectContaining({ bonusCredit: { amount: '10000', currency: 'SGD', expiresInDays: 365 } }),
    })]);
    expect(res.body.items[0].courseIds).toHaveLength(2);
    expect(s.lines.find((l) => l.msg === 'demo data seeded')).toMatchObject({ pathway: res.body.items[0].id });
  });

  it('when seeded, then a citizen has just finished a SkillsFuture course: its claim is approved, the credential is kept in their record, and the pathway shows one of two done', async () => {
    const claims = (await s.h.database.pool.query<{ status: string; learner_id: string }>(`select status, learner_id from claims`)).rows;
    expect(claims).toEqual([{ status: 'approved', learner_id: expect.any(String) }]);
    const citizen = await s.h.token('citizen', { learnerId: claims[0]!.learner_id });
    const mine = await request(s.h.app).get('/v1/me/credentials').set('authorization', `Bearer ${citizen}`);
    expect(mine.status, mine.text).toBe(200);
    expect(mine.body.items).toHaveLength(1);
    expect(JSON.stringify(mine.body.items[0])).toContain('Foundations of Cybersecurity');
    const pathways = await request(s.h.app).get('/v1/learners/me/pathways').set('authorization', `Bearer ${citizen}`);
    expect(pathways.body.items).toEqual([expect.objectContaining({ completed: false, stillNeeded: 1 })]);
  });

  it('when seeded after 31 Dec 2025, then the 2020 top-up is closed and grants nothing, the other schemes are active', async () => {
    expect((await schemeNamed(s.h, 'SG-SFC-TOPUP-2020')).status).toBe('closed');
    expect(await grantsOf(s.h, 'SG-SFC-TOPUP-2020')).toEqual([]);
    for (const code of ['SG-SFC', 'SG-SFC-MC', 'ID-PRAKERJA', 'FR-CPF']) expect((await schemeNamed(s.h, code)).status).toBe('active');
    expect((await grantsOf(s.h, 'SG-SFC')).length).toBe(4);
    await s.h.ledger.foldDeltas(s.h.database.db);
    expect(await ledgerViolations(s.h.database.db)).toEqual([]);
  });

  it('when seeded, then Kartu Prakerja pays a Rp600,000 incentive after the rating from a funded incentive budget, and the Indonesian learner has an e-wallet to receive it', async () => {
    const prakerja = await admin(s.h, `/v1/schemes/${(await schemeNamed(s.h, 'ID-PRAKERJA')).id}`);
    expect(prakerja.body.rules.incentive).toEqual({ amount: '60000000', requiresRating: true });
    const budget = await s.h.database.pool.query(
      `select ledger_available(b.credits_posted, b.debits_posted, b.debits_pending)::text available
         from scheme_incentive_budgets ib join schemes s on s.id = ib.scheme_id, ledger_balance(ib.account_id) b where s.code = 'ID-PRAKERJA'`);
    expect(budget.rows).toEqual([{ available: '600000000000' }]);
    const payee = await s.h.database.pool.query(
      `select a.kind, a.masked, a.status from learner_payee_accounts a join learners l on l.id = a.learner_id where l.country = 'ID'`);
    expect(payee.rows).toEqual([{ kind: 'ewallet', masked: 'GoPay ending 7890', status: 'active' }]);
  });

  it('when seeded, then the log names every learner, provider and the express run with its enrolment and end time', async () => {
    // The six named learners; the equity cohort (MY) is not listed one by one.
    const learners = (await s.h.database.pool.query<{ id: string }>(`select id from learners where country <> 'MY' order by id`)).rows.map((r) => r.id);
    const cohort = (await s.h.database.pool.query<{ id: string }>(`select id from learners where country = 'MY'`)).rows.map((r) => r.id);
    expect(cohort).toHaveLength(36);
    const providers = (await s.h.database.pool.query<{ id: string }>('select id from providers order by id')).rows.map((r) => r.id);
    expect(learners).toHaveLength(6);
    expect(providers).toHaveLength(3);
    const text = s.lines.map((l) => l.msg).join('\n');
    for (const id of learners) expect(text).toContain(`--role citizen --learner ${id}`);
    for (const id of cohort) expect(text).not.toContain(id);
    for (const id of providers) expect(text).toContain(`--role provider --provider ${id}`);
    const express = s.lines.find((l) => l.msg.startsWith('demo express run'))!;
    expect(express).toMatchObject({ enrolmentStatus: 'reserved', learnerId: learners[0], endsAt: '2026-12-02T09:03:00.000Z' });
    expect(express.msg).toContain(`enrolment ${express.enrolmentId as string}`);
    expect(express.msg).toContain(`run ${express.runId as string}`);
    expect(express.msg).toContain('ends at 09:03:00 UTC');
    const runs = s.lines.filter((l) => l.msg.startsWith('demo course run'));
    expect(runs).toHaveLength(5); // the next run of each demo course
    const runIds = (await s.h.database.pool.query<{ id: string }>('select id from course_runs')).rows.map((r) => r.id);
    for (const r of runs) expect(runIds).toContain(r.runId);
    expect(runs.map((r) => r.runId)).not.toContain(express.runId);
    // No names: log lines carry no personal data, even the demo's.
    expect(text).not.toContain('Tan Wei Ling');
  });

  it('when it starts again after the express run has ended, then it logs the same ids and says the run ended', async () => {
    const before = s.lines.length;
    s.h.clock.advance(10 * 60_000);
    await s.seed();
    const again = s.lines.slice(before);
    expect(again[0]!.msg).toBe('demo data already present');
    expect(again.filter((l) => l.msg.startsWith('demo citizen'))).toHaveLength(6);
    expect(again.filter((l) => l.msg.startsWith('demo provider'))).toHaveLength(3);
    expect(again.find((l) => l.msg.startsWith('demo express run'))!.msg).toContain('ended at 09:03:00 UTC');
    expect((await s.h.database.pool.query('select count(*)::int n from learners')).rows[0].n).toBe(6 + 36); // and the equity cohort
  });

  it('when the month of the seed has closed, then the analyst sees the equity report of the MY cohort: 14 B40, 12 M40, 10 T20, and the three learners with a disability withheld', async () => {
    // The report answers for closed months: the cohort seeded in December shows from January on.
    const now = s.h.clock.now();
    s.h.clock.advance(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1, 1) - now.getTime());
    const analyst = await s.h.token('analyst');
    const scheme = await schemeNamed(s.h, 'MY-UPSKILL');
    const get = (q: string) => request(s.h.app).get(`/v1/reports/equity?schemeId=${scheme.id}&${q}`).set('authorization', `Bearer ${analyst}`);
    const byIncome = await get('groupBy=incomeGroup');
    expect(byIncome.status, byIncome.text).toBe(200);
    const cells = byIncome.body.schemes[0].groups as { group: string; learnersGranted: number | null; suppressed: boolean }[];
    expect(cells.map((c) => [c.group, c.learnersGranted])).toEqual([['B40', 14], ['M40', 12], ['T20', 10]]);
    expect(byIncome.body.schemes[0].total).toMatchObject({ learnersGranted: 36, creditUsed: '0', suppressed: false });
    const byDisability = (await get('groupBy=disability')).body.schemes[0].groups as { group: string; suppressed: boolean }[];
    expect(byDisability.filter((c) => c.suppressed).map((c) => c.group).sort()).toEqual(['not_stated', 'yes']);
    expect(s.lines.some((l) => l.msg.startsWith('demo equity report'))).toBe(true);
  });
});

describe('demo seed, in June 2025', () => {
  let s: Seeded;
  beforeAll(async () => {
    s = await seeded(new Date('2025-06-01T09:00:00Z'));
  });
  afterAll(async () => {
    await s.h.close();
    await rm(s.dataDir, { recursive: true, force: true });
  });

  it('when seeded before 31 Dec 2025, then the 2020 top-up is active and its grants expire at the end of that day, Singapore time', async () => {
    expect((await schemeNamed(s.h, 'SG-SFC-TOPUP-2020')).status).toBe('active');
    const grants = await grantsOf(s.h, 'SG-SFC-TOPUP-2020');
    expect(grants).toHaveLength(2);
    for (const g of grants) expect(g).toMatchObject({ status: 'active', expires_at: new Date(TOPUP_END) });
  });
});
