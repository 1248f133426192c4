import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { useHarness } from '../support/harness.js';
import { perFile } from '../support/per-file.js';
import { claim, complete, completionCredentialFor, enrolledOn, pathwayWorld, twoOfThreeWithin12 } from './pathway-fixtures.js';

// Real connections: two approvals of one learner run at once in two transactions.
const h = useHarness({ poolSize: 8 });
const w = perFile(() => pathwayWorld(h), async () => {});

beforeEach(async () => {
  await h.database.pool.query(`update pathways set status = 'retired', retired_at = now(), retired_reason = 'earlier test'`);
});

async function definePathway() {
  const admin = await h.token('admin');
  const res = await request(h.app).post('/v1/pathways').set('authorization', `Bearer ${admin}`).set('idempotency-key', randomUUID()).send(twoOfThreeWithin12(w));
  expect(res.status, res.text).toBe(201);
  return res.body.id as string;
}

const completionsOf = async (learnerId: string, pathwayId: string) =>
  (await h.database.pool.query(`select id, bonus_status from pathway_completions where learner_id = $1 and pathway_id = $2`, [learnerId, pathwayId])).rows;
const bonusCount = async (learnerId: string) =>
  Number((await h.database.pool.query(
    `select count(*) n from ledger_transfers t join grants g on g.id = t.credit_account_id where g.learner_id = $1 and t.code = 'pathway_bonus'`, [learnerId],
  )).rows[0].n);

describe('a pathway is completed once', () => {
  it('when the two approvals that each complete it run at the same time, then there is one completion, one credential and one bonus', async () => {
    const pathwayId = await definePathway();
    for (let round = 0; round < 3; round++) {
      const learner = await w.world.learnerWithCredit('100000');
      await complete(h, w, w.courses[0]!, learner);
      const a = await enrolledOn(h, w.courses[1]!, learner);
      const b = await enrolledOn(h, w.courses[2]!, learner);
      const [ca, cb] = [await completionCredentialFor(h, w, w.courses[1]!, learner.id), await completionCredentialFor(h, w, w.courses[2]!, learner.id)];
      const results = await Promise.all([
        claim(h, w.courses[1]!, { enrolmentId: a.enrolmentId, amount: a.reserved, credential: ca }),
        claim(h, w.courses[2]!, { enrolmentId: b.enrolmentId, amount: b.reserved, credential: cb }),
      ]);
      expect(results.map((r) => [r.status, r.body.status])).toEqual([[201, 'approved'], [201, 'approved']]);
      expect(await completionsOf(learner.id, pathwayId)).toEqual([expect.objectContaining({ bonus_status: 'granted' })]);
      expect(await bonusCount(learner.id)).toBe(1);
    }
    expect(await ledgerViolations(h.database.db)).toEqual([]);
  });

  it('when neither of two simultaneous approvals completes it alone, then the later one still sees the earlier and completes it', async () => {
    const pathwayId = await definePathway();
    const learner = await w.world.learnerWithCredit('100000');
    const a = await enrolledOn(h, w.courses[0]!, learner);
    const b = await enrolledOn(h, w.courses[2]!, learner);
    const [ca, cb] = [await completionCredentialFor(h, w, w.courses[0]!, learner.id), await completionCredentialFor(h, w, w.courses[2]!, learner.id)];
    const results = await Promise.all([
      claim(h, w.courses[0]!, { enrolmentId: a.enrolmentId, amount: a.reserved, credential: ca }),
      claim(h, w.courses[2]!, { enrolmentId: b.enrolmentId, amount: b.reserved, credential: cb }),
    ]);
    expect(results.map((r) => r.body.status)).toEqual(['approved', 'approved']);
    expect(await completionsOf(learner.id, pathwayId)).toHaveLength(1);
    expect(await bonusCount(learner.id)).toBe(1);
  });

  it('when the completing claim goes to review and two officers approve it, then the decision records the completion', async () => {
    const pathwayId = await definePathway();
    const learner = await w.world.learnerWithCredit('100000');
    await complete(h, w, w.courses[0]!, learner);
    const e = await enrolledOn(h, w.courses[2]!, learner, '30000', 'mid');
    const res = await claim(h, w.courses[2]!, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: await completionCredentialFor(h, w, w.courses[2]!, learner.id) });
    expect(res.body).toMatchObject({ status: 'in_review' });
    expect(await completionsOf(learner.id, pathwayId)).toEqual([]);
    const [first, second] = [await h.token('finance', { sub: 'officer-a' }), await h.token('finance', { sub: 'officer-b' })];
    const proposed = await request(h.app).post(`/v1/claims/${res.body.id}/decision`).set('authorization', `Bearer ${first}`).set('idempotency-key', randomUUID())
      .send({ decision: 'approve', reason: 'the trainer confirmed the early finish' });
    expect(proposed.status, proposed.text).toBe(202);
    const approved = await request(h.app).post(`/v1/approvals/${proposed.body.approval.id}/approve`).set('authorization', `Bearer ${second}`)
      .set('idempotency-key', randomUUID()).send({});
    expect(approved.status, approved.text).toBe(200);
    expect(await completionsOf(learner.id, pathwayId)).toEqual([expect.objectContaining({ bonus_status: 'granted' })]);
    const audit = await h.database.pool.query(`select actor_id, actor_role, action from audit_events where entity_id = (select id::text from pathway_completions where learner_id = $1)`, [learner.id]);
    expect(audit.rows.map((r) => r.action)).toEqual(expect.arrayContaining(['pathway.completed', 'pathway_bonus.granted']));
    expect(audit.rows.every((r) => r.actor_role === 'system' && r.actor_id === 'pathway-evaluator')).toBe(true);
  });
});
