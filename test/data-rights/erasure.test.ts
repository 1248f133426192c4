import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { learnerData, rowsOfLearner, type Erasure, type LearnerTable } from '../../src/modules/data-rights/personal-data.js';
import { equityReport } from '../../src/modules/equity/equity-report.js';
import { equityDimensions } from '../../src/modules/equity/equity-report.repo.js';
import { AppError } from '../../src/lib/app-error.js';
import { defaultSignInClaimNames, principalFromClaims } from '../../src/web/auth/claims.js';
import { toNextMonth } from '../equity/equity-world.js';
import { expectProblem } from '../http/expect-problem.js';
import { incentiveWorld, SG_BANK } from '../incentives/incentive-world.js';
import { useHarness } from '../support/harness.js';
import { counterReason, distinctivePerson, wholeJourney, type DataRightsWorld, type Journey } from './journey.js';

const h = useHarness({ poolSize: 20 });
let w: DataRightsWorld;
beforeAll(async () => {
  w = await incentiveWorld(h, { amount: '5000', requiresRating: true }, { incentiveBudget: '100000' });
});

const as = async (role: 'admin' | 'finance' | 'citizen' | 'counter', sub: string) => {
  const token = await h.token(role, { sub });
  return {
    post: (path: string, body: unknown = {}) => request(h.app).post(path).set('authorization', `Bearer ${token}`).set('idempotency-key', randomUUID()).send(body as object),
    get: (path: string) => request(h.app).get(path).set('authorization', `Bearer ${token}`),
  };
};
const lawfulRequest = { reason: 'DSR-2027-0042: erasure request received by post, identity checked' };

/** What finance and audit read: the reports, the trial balance, the audit verification, as the bytes they answer with. */
async function books(j: Journey) {
  const fin = await as('finance', 'finance-reader');
  const admin = await as('admin', 'admin-reader');
  const asOf = h.clock.now().toISOString();
  const paths = [
    `/v1/reports/schemes?asOf=${asOf}`, `/v1/reports/schemes?asOf=${asOf}&format=csv`, `/v1/reports/trial-balance?asOf=${asOf}`,
    `/v1/reports/trial-balance?asOf=${asOf}&format=csv`, `/v1/reports/providers/${w.world.providerId}/statement?asOf=${asOf}`,
    `/v1/reports/recoveries?asOf=${asOf}`, `/v1/reports/incentive-write-offs?asOf=${asOf}`, `/v1/reports/holds`,
    `/v1/reports/providers/${w.world.providerId}/statement?asOf=${asOf}&format=csv`,
  ];
  const out: Record<string, string> = {};
  for (const p of paths) {
    const res = await fin.get(p);
    expect(res.status, `${p}: ${res.text}`).toBe(200);
    out[p] = res.text;
  }
  const verification = await admin.get('/v1/audit/verification');
  expect(verification.body).toEqual({ intact: true, breaks: [] });
  out['/v1/audit/verification'] = verification.text;
  return out;
}

/** Every place in the database a value of this person could hide: each text, varchar, char, json and jsonb column of every table as text, every date and bytea column by value. */
async function whereThePersonRemains(j: Journey): Promise<string[]> {
  const hash = h.deps.nationalIds.hash('SG', j.person.nationalId);
  const needles = [
    j.person.fullName, j.person.fullName.split(' ')[1]!, j.person.nationalId, j.person.nationalId.slice(1, 8), j.person.dateOfBirth,
    hash.toString('hex'), hash.toString('base64'), SG_BANK.accountNumber, j.contact.email, j.contact.phone,
  ];
  const columns = await h.database.pool.query(
    `select c.table_schema, c.table_name, c.column_name, c.data_type from information_schema.columns c
       join information_schema.tables t using (table_schema, table_name)
      where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')
        and c.data_type in ('text', 'character varying', 'character', 'json', 'jsonb', 'date', 'bytea', 'ARRAY')`,
  );
  expect(columns.rows.length).toBeGreaterThan(100);
  const found: string[] = [];
  for (const c of columns.rows as { table_schema: string; table_name: string; column_name: string; data_type: string }[]) {
    const col = `"${c.table_schema}"."${c.table_name}"."${c.column_name}"`;
    const from = `"${c.table_schema}"."${c.table_name}"`;
    const q = c.data_type === 'bytea'
      ? await h.database.pool.query(`select count(*)::int n from ${from} where "${c.column_name}" = $1`, [hash])
      : c.data_type === 'date'
        ? await h.database.pool.query(`select count(*)::int n from ${from} where "${c.column_name}" = $1::date`, [j.person.dateOfBirth])
        : await h.database.pool.query(
          `select count(*)::int n from ${from} where exists (select 1 from unnest($1::text[]) n where strpos(lower("${c.column_name}"::text), lower(n)) > 0)`, [needles],
        );
    if (q.rows[0].n > 0) found.push(col);
  }
  return found;
}

async function erase(learnerId: string) {
  const proposer = await as('admin', 'admin-dpo-1');
  const approver = await as('admin', 'admin-dpo-2');
  const proposed = await proposer.post(`/v1/learners/${learnerId}/erasure`, lawfulRequest);
  expect(proposed.status, proposed.text).toBe(202);
  expect(proposed.body).toMatchObject({ kind: 'learner.erasure', subjectType: 'learner', subjectId: learnerId, status: 'pending', proposedBy: 'admin-dpo-1' });
  const approved = await approver.post(`/v1/approvals/${proposed.body.id}/approve`, {});
  expect(approved.status, approved.text).toBe(200);
  expect(approved.body.result).toMatchObject({ learnerId, basis: 'request' });
  return proposed.body.id as string;
}

describe('erasure on a lawful request', () => {
  let j: Journey;
  beforeAll(async () => {
    j = await wholeJourney(h, w);
  });

  it('before any erasure, the hash-chained audit details hold none of the learner\'s personal data', async () => {
    const hash = h.deps.nationalIds.hash('SG', j.person.nationalId);
    const details = await h.database.pool.query(`select details::text d from audit_events`);
    expect(details.rows.length).toBeGreaterThan(10);
    const all = details.rows.map((r: { d: string }) => r.d).join('\n').toLowerCase();
    for (const v of [j.person.fullName, j.person.nationalId, j.person.dateOfBirth, hash.toString('hex'), SG_BANK.accountNumber]) {
      expect(all).not.toContain(v.toLowerCase());
    }
    // The seeded person is really in the database (so the search below can find them).
    expect(await whereThePersonRemains(j)).toEqual(expect.arrayContaining(['"public"."learners"."full_name"', '"public"."learners"."national_id_hash"']));
  });

  it('when a second administrator approves it, then no personal field of the learner remains in any table, and the reports, trial balance and audit verification are byte-for-byte unchanged', async () => {
    const before = await books(j);
    const fin = await as('finance', 'finance-reader');
    const batchBefore = (await fin.get(`/v1/disbursement-batches/${j.batchId}`)).body;
    const approvalId = await erase(j.learner.id);
    expect(await books(j)).toEqual(before);
    // The batch that paid the learner's incentive keeps every amount, reference and state; only the name it was paid to is gone.
    const batchAfter = (await fin.get(`/v1/disbursement-batches/${j.batchId}`)).body;
    const unnamed = (b: { lines: { learnerId: string | null; creditorName: string }[] }) =>
      ({ ...b, lines: b.lines.map((l) => (l.learnerId === j.learner.id ? { ...l, creditorName: 'erased' } : l)) });
    expect(batchBefore.lines.find((l: { learnerId: string | null }) => l.learnerId === j.learner.id).creditorName).toBe(j.person.fullName);
    expect(batchAfter).toEqual(unnamed(batchBefore));
    expect(await whereThePersonRemains(j)).toEqual([]);
    expect(await ledgerViolations(h.database.db)).toEqual([]);

    const row = await h.database.pool.query(`select id, erased_at, full_name, date_of_birth, national_id_hash, national_id_masked, subject_id from learners where id = $1`, [j.learner.id]);
    expect(row.rows[0]).toMatchObject({ id: j.learner.id, erased_at: h.clock.now(), full_name: null, date_of_birth: null, national_id_hash: null, national_id_masked: null });
    const audit = await h.database.pool.query(`select actor_id, details from audit_events where action = 'learner.erased' and entity_id = $1`, [j.learner.id]);
    expect(audit.rows).toEqual([{ actor_id: 'admin-dpo-2', details: { basis: 'request', approvalId } }]);
    // The ledger still names the learner's grant, and their history still adds up.
    const grants = await h.database.pool.query(`select count(*)::int n from grants where learner_id = $1`, [j.learner.id]);
    expect(grants.rows[0].n).toBe(1);
  });

  it('after the erasure, the learner cannot be looked up by national id, cannot sign in, and their pages and profile show nothing personal', async () => {
    const admin = await as('admin', 'admin-after');
    expectProblem(await admin.post('/v1/learners/lookup', { country: 'SG', nationalId: j.person.nationalId }), 404, 'not_found');
    const counter = await as('counter', 'counter-after');
    expectProblem(await counter.post('/v1/counter/visits', { country: 'SG', nationalId: j.person.nationalId, reason: counterReason, learnerPresent: true, identityCheck: 'nric_card' }), 404, 'not_found');
    await expect(principalFromClaims(h.deps, h.database.db, { sub: 'citizen-x', role: 'citizen', national_id: j.person.nationalId, country: 'SG' }, defaultSignInClaimNames))
      .rejects.toSatisfy((e: unknown) => e instanceof AppError && e.code === 'unauthenticated');

    // Their credit is still in the ledger, but nobody can spend it as them any more.
    const runId = await w.world.run('10000');
    expectProblem(await j.me.post('/v1/me/enrolments', { courseRunId: runId }), 404, 'not_found');
    expect((await h.database.pool.query(`select count(*)::int n from enrolments where learner_id = $1 and course_run_id = $2`, [j.learner.id, runId])).rows[0].n).toBe(0);

    const profile = await j.me.get('/v1/me');
    expect(profile.body).toMatchObject({ id: j.learner.id, fullName: null, dateOfBirth: null, nationalIdMasked: null, erasedAt: expect.any(String) });
    const exported = await j.me.get('/v1/learners/me/data-export');
    expect(exported.status).toBe(200);
    expect(exported.text).not.toContain(j.person.fullName);
    expect(exported.text).not.toContain(j.person.dateOfBirth);
    // The same national id can be registered again: it names nobody now.
    const again = await admin.post('/v1/learners', {
      country: 'SG', nationalId: j.person.nationalId, fullName: 'Someone Else', dateOfBirth: '1990-01-01', citizenship: 'SG', employmentStatus: 'employed', incomeGroup: 'middle',
    });
    expect(again.status, again.text).toBe(201);
    expect(again.body.id).not.toBe(j.learner.id);
  });

  it('when the learner is already erased, then a new proposal is refused with 409 invalid_state', async () => {
    const admin = await as('admin', 'admin-dpo-1');
    expectProblem(await admin.post(`/v1/learners/${j.learner.id}/erasure`, lawfulRequest), 409, 'invalid_state');
  });
});

describe('the catalogue of personal columns (personal-data.ts)', () => {
  /** The values of one catalogued column in the learner's rows, as text. */
  const valuesOf = async (t: LearnerTable, column: string, learnerId: string) =>
    (await h.database.db.execute<{ v: string | null }>(sql`select ${sql.identifier(column)}::text as v from ${sql.identifier(t.table)} where ${rowsOfLearner(t, learnerId)}`)).rows.map((r) => r.v);

  it('when the catalogue is read against the database, then every table and column it names exists', async () => {
    const r = await h.database.pool.query(`select table_name, column_name from information_schema.columns where table_schema = 'public'`);
    const existing = new Set(r.rows.map((c: { table_name: string; column_name: string }) => `${c.table_name}.${c.column_name}`));
    const named = learnerData.flatMap((t: LearnerTable) => [
      ...(t.learnerKey ? [t.learnerKey] : []), ...Object.keys(t.personal), ...(t.export?.omit ?? []),
    ].map((c) => `${t.table}.${c}`));
    expect(named.filter((c) => !existing.has(c))).toEqual([]);
  });

  it('when a learner is erased, then each personal column the catalogue names is cleared, marked erased, or its rows are gone', async () => {
    const j = await wholeJourney(h, w, distinctivePerson());
    const before = new Map<string, (string | null)[]>();
    for (const t of learnerData as readonly LearnerTable[]) {
      for (const column of Object.keys(t.personal)) before.set(`${t.table}.${column}`, await valuesOf(t, column, j.learner.id));
    }
    // The journey gave most catalogued columns a value, so the erasure below has something to remove.
    const held = [...before].filter(([, values]) => values.some((v) => v !== null)).map(([column]) => column);
    expect(held).toEqual(expect.arrayContaining([
      'learners.full_name', 'learners.national_id_hash', 'learner_contacts.email', 'learner_payee_accounts.account', 'payment_lines.creditor_name',
      'counter_acts.reason', 'staff_data_reads.purpose', 'grant_appeals.statement', 'grant_appeals.decision_note', 'idempotency_keys.body',
    ]));

    await erase(j.learner.id);
    const left: string[] = [];
    for (const t of learnerData as readonly LearnerTable[]) {
      for (const [column, how] of Object.entries(t.personal)) {
        const was = before.get(`${t.table}.${column}`)!;
        const erased: Record<Erasure, (v: string | null) => boolean> = {
          null: (v) => v === null, mark: (v) => v === null || v === 'erased', 'mark-json': (v) => v === null || v === '{"erased": true}',
          // None of the rows that held it is left (the erasure's own stored answers name the learner's id, and nothing personal).
          'delete-row': (v) => v === null || !was.includes(v),
        };
        if (!(await valuesOf(t, column, j.learner.id)).every(erased[how])) left.push(`${t.table}.${column} (${how})`);
      }
    }
    expect(left).toEqual([]);
  });
});

describe('erasure: four eyes, bad input and wrong roles change nothing', () => {
  const personalData = async (learnerId: string) =>
    (await h.database.pool.query(`select full_name, date_of_birth, national_id_masked, erased_at from learners where id = $1`, [learnerId])).rows[0];
  const approvalsOf = async (learnerId: string) =>
    (await h.database.pool.query(`select status from approvals where kind = 'learner.erasure' and subject_id = $1`, [learnerId])).rows;

  it('when the proposer approves their own erasure, then 403 four_eyes_required and nothing is erased', async () => {
    const l = await w.world.learnerWithCredit('0', distinctivePerson());
    const before = await personalData(l.id);
    const proposer = await as('admin', 'admin-dpo-1');
    const proposed = await proposer.post(`/v1/learners/${l.id}/erasure`, lawfulRequest);
    expect(proposed.status).toBe(202);
    expectProblem(await proposer.post(`/v1/approvals/${proposed.body.id}/approve`, {}), 403, 'four_eyes_required');
    // A finance officer is not an approver of erasures.
    expectProblem(await (await as('finance', 'finance-1')).post(`/v1/approvals/${proposed.body.id}/approve`, {}), 403, 'forbidden');
    expect(await personalData(l.id)).toEqual(before);
    expect(before.erased_at).toBeNull();
    // A second proposal while one waits is a conflict.
    expectProblem(await (await as('admin', 'admin-dpo-3')).post(`/v1/learners/${l.id}/erasure`, lawfulRequest), 409, 'conflict');
    // Rejected: nothing is erased.
    const rejected = await (await as('admin', 'admin-dpo-2')).post(`/v1/approvals/${proposed.body.id}/reject`, { note: 'no lawful basis shown' });
    expect(rejected.status, rejected.text).toBe(200);
    expect(await personalData(l.id)).toEqual(before);
  });

  it('when the learner has money in flight (a reserved enrolment), then 409 invalid_state and no proposal', async () => {
    const l = await w.world.learnerWithCredit('50000', distinctivePerson());
    const runId = await w.world.run('20000');
    expect((await w.as(l.token).post('/v1/me/enrolments', { courseRunId: runId })).status).toBe(201);
    const res = await (await as('admin', 'admin-dpo-1')).post(`/v1/learners/${l.id}/erasure`, lawfulRequest);
    const problem = expectProblem(res, 409, 'invalid_state');
    expect(problem.open).toMatchObject({ enrolments: 1 });
    expect(await approvalsOf(l.id)).toEqual([]);
  });

  it('when the learner has an appeal being decided, then 409 invalid_state and no proposal; once erased, no credit can be granted to them', async () => {
    const l = await w.world.learnerWithCredit('1000', distinctivePerson());
    const grant = await h.database.pool.query(`select id, scheme_id from grants where learner_id = $1 limit 1`, [l.id]);
    const appealId = randomUUID();
    await h.database.pool.query(
      `insert into grant_appeals (id, learner_id, grant_id, scheme_id, currency, closing, closed_at, lapsed_amount, statement, status, filed_at, filed_by)
       values ($1, $2, $3, $4, 'SGD', 'lapsed', $5, 1000, 'I was in hospital.', 'open', $5, $6)`,
      [appealId, l.id, grant.rows[0].id, grant.rows[0].scheme_id, h.clock.now(), `citizen:${l.id}`],
    );
    const refused = expectProblem(await (await as('admin', 'admin-dpo-1')).post(`/v1/learners/${l.id}/erasure`, lawfulRequest), 409, 'invalid_state');
    expect(refused.open).toMatchObject({ appeals: 1 });
    expect(await approvalsOf(l.id)).toEqual([]);

    await h.database.pool.query(`update grant_appeals set status = 'rejected', reason_code = 'no_grounds', decided_at = $2, decided_by = 'finance-x' where id = $1`, [appealId, h.clock.now()]);
    await erase(l.id);
    const admin = await as('admin', 'admin-grants');
    const budget = async () => (await h.database.pool.query(`select count(*)::int n from grants where learner_id = $1`, [l.id])).rows[0].n;
    const before = await budget();
    expectProblem(await admin.post(`/v1/learners/${l.id}/grants`, { schemeId: grant.rows[0].scheme_id, amount: '1000' }), 409, 'invalid_state');
    expect(await budget()).toBe(before);
  });

  it.each([
    ['no reason', {}, 'body.reason'],
    ['a short reason', { reason: 'asked' }, 'body.reason'],
    ['a blank reason', { reason: '          ' }, 'body.reason'],
    ['an unknown field', { ...lawfulRequest, name: 'x' }, 'body'],
  ])('when the proposal has %s, then 422 naming %s and no proposal', async (_name, body, field) => {
    const l = await w.world.learnerWithCredit('0');
    const res = await (await as('admin', 'admin-dpo-1')).post(`/v1/learners/${l.id}/erasure`, body);
    const problem = expectProblem(res, 422, 'validation_failed');
    expect((problem.errors as { path: string }[]).some((e) => e.path.startsWith(field))).toBe(true);
    expect(await approvalsOf(l.id)).toEqual([]);
  });

  it('when the learner does not exist or the id is not a uuid, then 404 or 422, and no proposal', async () => {
    const admin = await as('admin', 'admin-dpo-1');
    const id = randomUUID();
    expectProblem(await admin.post(`/v1/learners/${id}/erasure`, lawfulRequest), 404, 'not_found');
    expect(await approvalsOf(id)).toEqual([]);
    expectProblem(await admin.post('/v1/learners/nope/erasure', lawfulRequest), 422, 'validation_failed');
  });

  it('when a role other than admin proposes an erasure, then 403 and no proposal', async () => {
    const l = await w.world.learnerWithCredit('0');
    for (const role of ['finance', 'counter', 'analyst'] as const) {
      expectProblem(await (await as(role as 'finance', `${role}-1`)).post(`/v1/learners/${l.id}/erasure`, lawfulRequest), 403, 'forbidden');
    }
    const citizen = l.token;
    const res = await request(h.app).post(`/v1/learners/${l.id}/erasure`).set('authorization', `Bearer ${citizen}`).set('idempotency-key', randomUUID()).send(lawfulRequest);
    expectProblem(res, 403, 'forbidden');
    expect(await approvalsOf(l.id)).toEqual([]);
    expect((await personalData(l.id)).erased_at).toBeNull();
  });
});

describe('erasure and the published equity report', () => {
  it('when a learner is erased before anyone read the month just closed, then the erasure publishes it first, every dimension as it stood with the learner in it', async () => {
    const l = await w.world.learnerWithCredit('1000', { ...distinctivePerson(), dateOfBirth: '2005-06-01' });
    toNextMonth(h);
    const fin = await as('finance', 'finance-equity');
    const closedAt = new Date(Date.UTC(h.clock.now().getUTCFullYear(), h.clock.now().getUTCMonth(), 1) - 1).toISOString();
    const ageBands = async () => (await equityReport(h.database.db, closedAt, 'ageBand', w.world.scheme.id))[0]!.groups.map((g) => g.group);
    const liveBefore = JSON.stringify(await equityReport(h.database.db, closedAt, 'ageBand', w.world.scheme.id));
    expect(await ageBands()).toContain('15-24');
    const stored = async () => (await h.database.pool.query(`select dimension, taken_at from equity_report_snapshots where period_end = $1 order by dimension`, [closedAt])).rows;
    expect(await stored()).toEqual([]);

    await erase(l.id);
    expect(await stored()).toEqual([...equityDimensions].sort().map((dimension) => ({ dimension, taken_at: h.clock.now() })));
    expect(await ageBands()).not.toContain('15-24');
    const published = await fin.get(`/v1/reports/equity?groupBy=ageBand&schemeId=${w.world.scheme.id}`);
    expect(published.status, published.text).toBe(200);
    expect(published.body.asOf).toBe(closedAt);
    expect(JSON.stringify(published.body.schemes)).toBe(liveBefore);
  });
});
