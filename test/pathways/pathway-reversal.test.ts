import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { sweepGrants } from '../../src/modules/grants/grants.service.js';
import { bitAt, decodeStatusList } from '../../src/modules/pathways/status-list.js';
import { asCitizen } from '../support/catalogue.js';
import { financeAs } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { perFile } from '../support/per-file.js';
import { claim, complete, completionCredentialFor, decodeJwt, enrolledOn, pathwayWorld, twoOfThreeWithin12, type PathwayWorld } from './pathway-fixtures.js';

const DAY = 86_400_000;
const h = useHarness({ poolSize: 20 });
const w = perFile(() => pathwayWorld(h), async () => {});
let admin: string;
beforeAll(async () => {
  admin = await h.token('admin');
});
beforeEach(async () => {
  await h.database.pool.query(`update pathways set status = 'retired', retired_at = now(), retired_reason = 'earlier test'`);
});

const q = async (text: string, values: unknown[] = []) => (await h.database.pool.query(text, values)).rows as Record<string, any>[];
const adminPost = (path: string, body: unknown = {}) =>
  request(h.app).post(path).set('authorization', `Bearer ${admin}`).set('idempotency-key', randomUUID()).send(body as object);
const adminGet = (path: string) => request(h.app).get(path).set('authorization', `Bearer ${admin}`);

async function definePathway(pw: PathwayWorld) {
  const res = await adminPost('/v1/pathways', twoOfThreeWithin12(pw));
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string };
}

/** Finance reverses the claim; above the four-eyes amount a second officer approves, and the knock-ons run then. */
async function reverse(claimId: string) {
  const res = await financeAs(h, 'officer-reverses').post(`/v1/claims/${claimId}/reversal`, { reasonCode: 'no_completion', reason: 'the learner never attended' });
  if (res.status !== 202) return res;
  return financeAs(h, 'officer-approves').post(`/v1/approvals/${res.body.approval.id}/approve`, {});
}

async function pathwayOf(token: string, pathwayId: string) {
  const res = await asCitizen(h, token).get('/v1/learners/me/pathways');
  expect(res.status, res.text).toBe(200);
  return (res.body.items as Record<string, any>[]).find((p) => p.pathway.id === pathwayId)!;
}

const verify = async (credential: string) => {
  const res = await request(h.app).post('/v1/public/credential-verifications').send({ credential });
  expect(res.status, res.text).toBe(200);
  return res.body as { verified: boolean; checks: { check: string; passed: boolean; reason?: string }[] };
};

const budget = async () => (await adminGet(`/v1/schemes/${w.scheme.id}`)).body.budget as { granted: string; returned: string; available: string };

/** The bonus grant's counters and what went back to the scheme from it. */
async function bonusGrant(learnerId: string) {
  const [g] = await q(`
    select g.id, g.status, g.settled, a.debits_pending::text reserved, (a.credits_posted - a.debits_posted - a.debits_pending)::text available,
           coalesce((select sum(t.amount) from ledger_transfers t where t.debit_account_id = g.id and t.code = 'pathway_bonus_revocation'), 0)::text taken_back,
           coalesce((select sum(t.amount) from ledger_transfers t where t.debit_account_id = g.id and t.kind = 'post_pending'), 0)::text spent
      from grants g join pathway_completions pc on pc.bonus_grant_id = g.id cross join lateral ledger_balance(g.id) a
     where g.learner_id = $1`, [learnerId]);
  return g!;
}

async function expectBooksTieOut() {
  const finance = await h.token('finance');
  const report = (path: string) => request(h.app).get(path).set('authorization', `Bearer ${finance}`);
  const scheme = (await report('/v1/reports/schemes')).body.schemes.find((r: { schemeId: string }) => r.schemeId === w.scheme.id);
  expect(scheme.tiesOut).toBe(true);
  const trial = (await report('/v1/reports/trial-balance')).body.currencies.find((c: { currency: string }) => c.currency === 'SGD');
  expect(trial.balanced).toBe(true);
  expect(await ledgerViolations(h.database.db)).toEqual([]);
}

describe('reversing a claim that completed a pathway', () => {
  it('when the pathway\'s rule is no longer met, then the stacked credential verifies as revoked, the progress shows it not complete, the unspent bonus is back in the budget, and the books tie out', async () => {
    const pathway = await definePathway(w);
    const learner = await w.world.learnerWithCredit('100000');
    await complete(h, w, w.courses[0]!, learner);
    const second = await complete(h, w, w.courses[2]!, learner);
    const done = await pathwayOf(learner.token, pathway.id);
    expect(done.completed).toBe(true);
    expect((await verify(done.completion.credential)).verified).toBe(true);
    const before = await budget();

    const res = await reverse(second.id);
    expect(res.status, res.text).toBe(200);

    const answer = await verify(done.completion.credential);
    expect(answer.verified).toBe(false);
    expect(answer.checks.find((c) => c.check === 'revocation')).toMatchObject({ passed: false, reason: 'revoked' });
    const list = await request(h.app).get(`/v1/public/schemes/${w.scheme.id}/status-list`);
    expect(list.status, list.text).toBe(200);
    const index = Number(decodeJwt(done.completion.credential).credentialStatus.statusListIndex);
    expect(bitAt(decodeStatusList(decodeJwt(list.text).credentialSubject.encodedList), index)).toBe(true);

    const after = await pathwayOf(learner.token, pathway.id);
    expect(after).toMatchObject({ completed: false, stillNeeded: 1, completion: { revoked: true } });
    expect(after.completedCourses.map((c: { courseId: string }) => c.courseId)).toEqual([w.courses[0]!.id]);

    // All 20000 of the bonus was unspent: it is back in the scheme's budget, and the bonus grant is closed.
    const grant = await bonusGrant(learner.id);
    expect(grant).toMatchObject({ status: 'revoked', settled: true, available: '0', reserved: '0', taken_back: '20000' });
    const now = await budget();
    expect(BigInt(now.returned) - BigInt(before.returned)).toBe(20000n);
    expect(BigInt(now.available) - BigInt(before.available)).toBe(20000n);
    const statement = (await asCitizen(h, learner.token).get('/v1/me/transactions')).body.items as { code: string; description: string; amount: string }[];
    expect(statement.find((t) => t.code === 'pathway_bonus_revocation')).toMatchObject({ amount: '20000' });
    expect(statement.find((t) => t.code === 'pathway_bonus_revocation')!.description).toMatch(/no longer counts as completed/);

    const actions = (await q(`select action from audit_events where entity_id = $1 order by seq`, [done.completion.id])).map((r) => r.action);
    expect(actions).toEqual(expect.arrayContaining(['pathway.completed', 'pathway_bonus.granted', 'pathway_credential.revoked', 'pathway_bonus.taken_back']));
    await expectBooksTieOut();
  });

  it('when the reversal takes a second officer, then nothing is revoked while it is proposed, and the approval revokes the credential and takes the bonus back in its transaction', async () => {
    const pathway = await definePathway(w);
    const learner = await w.world.learnerWithCredit('400000');
    await complete(h, w, w.courses[0]!, learner);
    // Above the four-eyes amount (SGD 1,000.00): the reversal is proposed first.
    const e = await enrolledOn(h, w.courses[2]!, learner, '150000');
    const big = await claim(h, w.courses[2]!, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: await completionCredentialFor(h, w, w.courses[2]!, learner.id) });
    expect(big.status, big.text).toBe(201);
    const done = await pathwayOf(learner.token, pathway.id);
    expect(done.completed).toBe(true);

    const proposed = await financeAs(h, 'officer-reverses').post(`/v1/claims/${big.body.id}/reversal`, { reasonCode: 'fraud', reason: 'the attendance sheet was invented' });
    expect(proposed.status, proposed.text).toBe(202);
    expect((await verify(done.completion.credential)).verified).toBe(true);
    expect(await bonusGrant(learner.id)).toMatchObject({ status: 'active', taken_back: '0' });

    const approved = await financeAs(h, 'officer-approves').post(`/v1/approvals/${proposed.body.approval.id}/approve`, {});
    expect(approved.status, approved.text).toBe(200);
    expect((await verify(done.completion.credential)).verified).toBe(false);
    expect(await bonusGrant(learner.id)).toMatchObject({ status: 'revoked', taken_back: '20000' });
    const audit = await q(`select actor_id, details from audit_events where action = 'claim.clawed_back' and entity_id = $1`, [big.body.id]);
    expect(audit[0]!.details).toMatchObject({ proposedBy: 'officer-reverses', approvedBy: 'officer-approves', pathways: [{ outcome: 'revoked', bonusReturned: '20000' }] });
    await expectBooksTieOut();
  });

  it('when other completions still meet the rule, then nothing is revoked and the bonus stays', async () => {
    const pathway = await definePathway(w);
    const learner = await w.world.learnerWithCredit('100000');
    const first = await complete(h, w, w.courses[0]!, learner);
    await complete(h, w, w.courses[1]!, learner);
    await complete(h, w, w.courses[2]!, learner);
    const done = await pathwayOf(learner.token, pathway.id);
    const before = await budget();

    const res = await reverse(first.id);
    expect(res.status, res.text).toBe(200);

    expect((await verify(done.completion.credential)).verified).toBe(true);
    expect(await pathwayOf(learner.token, pathway.id)).toMatchObject({ completed: true, completion: { revoked: false } });
    const grant = await bonusGrant(learner.id);
    expect(grant).toMatchObject({ status: 'active', taken_back: '0' });
    expect(BigInt(grant.available) + BigInt(grant.reserved) + BigInt(grant.spent)).toBe(20000n);
    expect((await budget()).returned).toBe(before.returned);
    const actions = (await q(`select action from audit_events where entity_id = $1`, [done.completion.id])).map((r) => r.action);
    expect(actions).toContain('pathway_completion.kept_after_reversal');
    expect(actions).not.toContain('pathway_credential.revoked');
    await expectBooksTieOut();
  });

  it('when the learner spends the bonus at the same moment as the reversal executes (real connections), then the bonus is never overdrawn nor taken twice, and the books tie out', async () => {
    const pathway = await definePathway(w);
    const rounds = 8;
    const orders = new Set<string>();
    for (let round = 0; round < rounds; round++) {
      const learner = await w.world.learnerWithCredit('100000');
      await complete(h, w, w.courses[0]!, learner);
      const second = await complete(h, w, w.courses[2]!, learner);
      expect((await pathwayOf(learner.token, pathway.id)).completed).toBe(true);
      const startsAt = new Date(h.clock.now().getTime() + DAY);
      const run = await request(h.app).post(`/v1/courses/${w.courses[1]!.id}/runs`).set('authorization', `Bearer ${w.courses[1]!.provider.token}`)
        .set('idempotency-key', randomUUID())
        .send({ startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 2 * DAY).toISOString(), fee: '25000', currency: 'SGD', capacity: 100 });
      expect(run.status, run.text).toBe(201);

      const [reversal, enrolment] = await Promise.all([
        reverse(second.id),
        // Staggered a little more each round, so both orders (and the overlap between them) occur.
        new Promise((resolve) => setTimeout(resolve, round * 12)).then(() => asCitizen(h, learner.token).post('/v1/me/enrolments', { courseRunId: run.body.id })),
      ]);
      expect(reversal.status, reversal.text).toBe(200);
      expect(enrolment.status, enrolment.text).toBe(201);

      const grant = await bonusGrant(learner.id);
      expect(grant.status).toBe('revoked');
      // Every unit of the 20000 bonus is in exactly one place: taken back, or reserved by the enrolment that won the race.
      expect(BigInt(grant.taken_back) + BigInt(grant.reserved) + BigInt(grant.spent)).toBe(20000n);
      expect(BigInt(grant.available)).toBe(0n);
      expect(grant.settled).toBe(BigInt(grant.reserved) === 0n);
      expect(await q(`select 1 from ledger_transfers where debit_account_id = $1 and code = 'pathway_bonus_revocation'`, [grant.id])).toHaveLength(BigInt(grant.taken_back) > 0n ? 1 : 0);
      expect(await pathwayOf(learner.token, pathway.id)).toMatchObject({ completed: false });
      orders.add(BigInt(grant.reserved) > 0n ? 'enrolment first' : 'reversal first');
      if (BigInt(grant.reserved) > 0n) {
        // The reserved part goes back to the scheme once the reservation is released, by the grant sweep, as for any closed grant.
        const cancelled = await asCitizen(h, learner.token).post(`/v1/me/enrolments/${enrolment.body.id}/cancel`);
        expect(cancelled.status, cancelled.text).toBe(200);
        const swept = await sweepGrants(h.deps);
        expect(swept.returned).toBeGreaterThanOrEqual(BigInt(grant.reserved));
        const after = await bonusGrant(learner.id);
        expect(after).toMatchObject({ status: 'revoked', settled: true, reserved: '0', available: '0' });
      }
    }
    console.info(`bonus race outcomes: ${[...orders].join(', ')}`);
    await expectBooksTieOut();
  });
});
