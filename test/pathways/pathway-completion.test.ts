import { randomUUID } from 'node:crypto';
import { importJWK, compactVerify } from 'jose';
import request from 'supertest';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { bitAt, decodeStatusList, STATUS_LIST_LENGTH } from '../../src/modules/pathways/status-list.js';
import { verifyPathwayCredential } from '../../src/modules/pathways/verify-pathway-credential.js';
import { asCitizen } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';
import { perFile } from '../support/per-file.js';
import { claim, complete, completionCredentialFor, decodeJwt, enrolledOn, pathwayWorld, twoOfThreeWithin12, type PathwayWorld } from './pathway-fixtures.js';

const h = useHarness();
const pw = perFile(() => pathwayWorld(h), async () => {});
let admin: string;
beforeAll(async () => {
  admin = await h.token('admin');
});
// Every test defines its own pathways over the same three courses: the ones of earlier tests must not complete too.
beforeEach(async () => {
  await h.database.pool.query(`update pathways set status = 'retired', retired_at = now(), retired_reason = 'earlier test'`);
});

const adminPost = (path: string, body: unknown = {}) =>
  request(h.app).post(path).set('authorization', `Bearer ${admin}`).set('idempotency-key', randomUUID()).send(body as object);
const adminGet = (path: string) => request(h.app).get(path).set('authorization', `Bearer ${admin}`);

async function definePathway(w: PathwayWorld, over: Record<string, unknown> = {}) {
  const res = await adminPost('/v1/pathways', twoOfThreeWithin12(w, over));
  expect(res.status, res.text).toBe(201);
  return res.body as { id: string };
}

async function budget(w: PathwayWorld) {
  return (await adminGet(`/v1/schemes/${w.scheme.id}`)).body.budget as { allocated: string; granted: string; returned: string; available: string };
}

const bonusTransfers = async (learnerId: string) =>
  (await h.database.pool.query(
    `select t.amount::text, t.debit_account_id, t.credit_account_id from ledger_transfers t join grants g on g.id = t.credit_account_id
      where g.learner_id = $1 and t.code = 'pathway_bonus'`, [learnerId],
  )).rows as { amount: string; debit_account_id: string; credit_account_id: string }[];

const completionRows = async (learnerId: string) =>
  (await h.database.pool.query(`select id, pathway_id, bonus_status, bonus_refusal_reason, status_index from pathway_completions where learner_id = $1`, [learnerId])).rows;

async function myPathways(token: string) {
  const res = await asCitizen(h, token).get('/v1/learners/me/pathways');
  expect(res.status, res.text).toBe(200);
  return res.body.items as Record<string, any>[];
}

async function expectBooksTieOut(w: PathwayWorld) {
  const finance = await h.token('finance');
  const report = (path: string) => request(h.app).get(path).set('authorization', `Bearer ${finance}`);
  const scheme = (await report('/v1/reports/schemes')).body.schemes.find((r: { schemeId: string }) => r.schemeId === w.scheme.id);
  expect(scheme.tiesOut).toBe(true);
  expect(BigInt(scheme.available)).toBe(BigInt(scheme.allocated) - BigInt(scheme.granted) + BigInt(scheme.returned));
  const trial = (await report('/v1/reports/trial-balance')).body.currencies.find((c: { currency: string }) => c.currency === 'SGD');
  expect(trial.balanced).toBe(true);
  expect(await ledgerViolations(h.database.db)).toEqual([]);
}

describe('a "2 of 3 within 12 months" pathway through HTTP', () => {
  it('when two micro-credentials from two providers complete it, then the stacked credential verifies, the bonus lands in the ledger, and the books tie out', async () => {
    const w = pw;
    const pathway = await definePathway(w);
    const learner = await w.world.learnerWithCredit('100000');
    const before = await budget(w);

    await complete(h, w, w.courses[0]!, learner);
    const started = await myPathways(learner.token);
    const mine = started.find((p) => p.pathway.id === pathway.id)!;
    expect(mine).toMatchObject({ completed: false, stillNeeded: 1, required: 2, completion: null });
    expect(mine.completedCourses.map((c: { courseId: string }) => c.courseId)).toEqual([w.courses[0]!.id]);
    const first = new Date(mine.completedCourses[0].completedAt);
    expect(new Date(mine.deadline).getUTCFullYear()).toBe(first.getUTCFullYear() + 1);

    await complete(h, w, w.courses[2]!, learner); // the second provider's course
    const done = (await myPathways(learner.token)).find((p) => p.pathway.id === pathway.id)!;
    expect(done).toMatchObject({ completed: true, stillNeeded: 0, deadline: null });
    expect(done.completion.bonus).toMatchObject({ status: 'granted', reason: null });

    // The stacked credential: an OpenBadgeCredential issued by the scheme, the pathway its achievement, both components as evidence.
    const vc = decodeJwt(done.completion.credential);
    expect(vc.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
    expect(vc.issuer.id).toBe(`urn:learning-credits:scheme:${w.scheme.id}`);
    expect(vc.credentialSubject.achievement).toMatchObject({ id: `urn:learning-credits:pathway:${pathway.id}`, achievementType: 'Certificate', name: 'Data Analyst (stacked)' });
    expect(vc.evidence.map((e: { name: string }) => e.name)).toEqual(['Data Analytics Fundamentals', 'Dashboards and Storytelling']);
    expect(vc.credentialStatus).toMatchObject({ type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListCredential: `urn:learning-credits:scheme:${w.scheme.id}:status-list:revocation` });

    const verified = await request(h.app).post('/v1/public/credential-verifications')
      .send({ credential: done.completion.credential });
    expect(verified.status, verified.text).toBe(200);
    expect(verified.body).toMatchObject({ verified: true, kind: 'pathway_credential' });
    expect(verified.body.checks.map((c: { check: string; passed: boolean }) => [c.check, c.passed])).toEqual([
      ['signature', true], ['issuer', true], ['achievement', true], ['revocation', true], ['expiry', true],
    ]);

    // The bonus: one grant from the scheme's budget to the learner, exactly the pathway's amount.
    const transfers = await bonusTransfers(learner.id);
    expect(transfers).toHaveLength(1);
    expect(transfers[0]!.amount).toBe('20000');
    const schemeRow = await h.database.pool.query(`select budget_account_id from schemes where id = $1`, [w.scheme.id]);
    expect(transfers[0]!.debit_account_id).toBe(schemeRow.rows[0].budget_account_id);
    const after = await budget(w);
    expect(BigInt(after.granted) - BigInt(before.granted)).toBe(20000n);
    expect(BigInt(before.available) - BigInt(after.available)).toBe(20000n);
    const account = await asCitizen(h, learner.token).get('/v1/me/transactions');
    expect(JSON.stringify(account.body)).toContain('bonus credit');
    await expectBooksTieOut(w);

    // A third course completes nothing more: one completion, one bonus.
    await complete(h, w, w.courses[1]!, learner);
    expect((await completionRows(learner.id)).filter((c) => c.pathway_id === pathway.id)).toHaveLength(1);
    expect(await bonusTransfers(learner.id)).toHaveLength(1);
  });

  it('when the scheme\'s budget is short, then the completion and credential are recorded, the bonus is refused with budget_insufficient and nothing moves, and a retry after a top-up grants it', async () => {
    const w = pw;
    const available = BigInt((await budget(w)).available);
    const pathway = await definePathway(w, { award: { bonusCredit: { amount: String(available + 1_000_000n), expiresInDays: 30 }, achievement: { name: 'Big bonus', description: 'More than the budget' } } });
    const learner = await w.world.learnerWithCredit('100000');
    await complete(h, w, w.courses[0]!, learner);
    await complete(h, w, w.courses[1]!, learner);
    const before = await budget(w);
    const [row] = (await completionRows(learner.id)).filter((c) => c.pathway_id === pathway.id);
    expect(row).toMatchObject({ bonus_status: 'refused', bonus_refusal_reason: 'budget_insufficient' });
    expect(await bonusTransfers(learner.id)).toEqual([]);
    const mine = (await myPathways(learner.token)).find((p) => p.pathway.id === pathway.id)!;
    expect(mine.completed).toBe(true);
    expect((await verifyPathwayCredential({ clock: h.clock, db: h.database.db }, mine.completion.credential)).verified).toBe(true);

    const still = await adminPost(`/v1/pathway-completions/${row.id}/bonus`);
    expect(still.status, still.text).toBe(200);
    expect(still.body.bonus).toMatchObject({ status: 'refused', reason: 'budget_insufficient' });
    expect(await budget(w)).toEqual(before);

    await w.api.allocate(w.scheme.id, String(2_000_000n + available));
    const granted = await adminPost(`/v1/pathway-completions/${row.id}/bonus`);
    expect(granted.status, granted.text).toBe(200);
    expect(granted.body.bonus.status).toBe('granted');
    expect((await bonusTransfers(learner.id)).map((t) => t.amount)).toEqual([String(available + 1_000_000n)]);
    const again = await adminPost(`/v1/pathway-completions/${row.id}/bonus`);
    expect(again.status).toBe(409);
    await expectBooksTieOut(w);
  });

  it('when the second completion comes 13 months after the first, then the pathway is not completed and the progress shows a fresh window', async () => {
    const w = pw;
    const pathway = await definePathway(w);
    const learner = await w.world.learnerWithCredit('100000');
    await complete(h, w, w.courses[0]!, learner);
    h.clock.advance(400 * 86_400_000);
    await complete(h, w, w.courses[2]!, learner);
    expect((await completionRows(learner.id)).filter((c) => c.pathway_id === pathway.id)).toEqual([]);
    const mine = (await myPathways(learner.token)).find((p) => p.pathway.id === pathway.id)!;
    expect(mine).toMatchObject({ completed: false, stillNeeded: 1 });
    expect(mine.completedCourses).toHaveLength(2);
    expect(new Date(mine.deadline).getTime()).toBeGreaterThan(h.clock.now().getTime());
  });

  it('when a claim is rejected, then its course does not count', async () => {
    const w = pw;
    const pathway = await definePathway(w);
    const learner = await w.world.learnerWithCredit('100000');
    await complete(h, w, w.courses[0]!, learner);
    const e = await enrolledOn(h, w.courses[1]!, learner);
    // A credential for another course: achievement_mismatch, rejected.
    const wrong = await completionCredentialFor(h, w, w.courses[0]!, learner.id);
    const res = await claim(h, w.courses[1]!, { enrolmentId: e.enrolmentId, amount: e.reserved, credential: wrong });
    expect(res.body.status).toBe('rejected');
    expect((await completionRows(learner.id)).filter((c) => c.pathway_id === pathway.id)).toEqual([]);
    expect((await myPathways(learner.token)).find((p) => p.pathway.id === pathway.id)).toMatchObject({ stillNeeded: 1, completed: false });
  });

  it('when the pathway is retired, then later completions do not complete it and it leaves the learner\'s progress', async () => {
    const w = pw;
    const pathway = await definePathway(w);
    const learner = await w.world.learnerWithCredit('100000');
    await complete(h, w, w.courses[0]!, learner);
    const retired = await adminPost(`/v1/pathways/${pathway.id}/retirement`, { reason: 'replaced by a new pathway' });
    expect(retired.status, retired.text).toBe(200);
    expect(retired.body).toMatchObject({ status: 'retired', retiredReason: 'replaced by a new pathway' });
    expect((await adminPost(`/v1/pathways/${pathway.id}/retirement`, { reason: 'again please' })).status).toBe(409);
    await complete(h, w, w.courses[1]!, learner);
    expect((await completionRows(learner.id)).filter((c) => c.pathway_id === pathway.id)).toEqual([]);
    expect((await myPathways(learner.token)).find((p) => p.pathway.id === pathway.id)).toBeUndefined();
  });
});

describe('the stacked credential\'s status list', () => {
  it('when an admin revokes a stacked credential, then its bit is set in the signed status list and verification answers revoked', async () => {
    const w = pw;
    const pathway = await definePathway(w, { rule: { kind: 'all' }, courseIds: [w.courses[0]!.id, w.courses[2]!.id], withinMonths: undefined });
    const learner = await w.world.learnerWithCredit('100000');
    await complete(h, w, w.courses[0]!, learner);
    await complete(h, w, w.courses[2]!, learner);
    const mine = (await myPathways(learner.token)).find((p) => p.pathway.id === pathway.id)!;
    const index = Number(decodeJwt(mine.completion.credential).credentialStatus.statusListIndex);

    const list = async () => {
      const res = await request(h.app).get(`/v1/public/schemes/${w.scheme.id}/status-list`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/vc\+jwt/);
      const jwks = await request(h.app).get(`/v1/public/schemes/${w.scheme.id}/jwks`);
      const key = jwks.body.keys[0];
      await compactVerify(res.text, await importJWK(key, 'EdDSA')); // throws unless signed by the scheme's published key
      const vc = decodeJwt(res.text);
      expect(vc.type).toEqual(['VerifiableCredential', 'BitstringStatusListCredential']);
      expect(vc.credentialSubject).toMatchObject({ type: 'BitstringStatusList', statusPurpose: 'revocation' });
      expect(vc.credentialSubject.encodedList.startsWith('u')).toBe(true);
      const bits = decodeStatusList(vc.credentialSubject.encodedList);
      expect(bits.length * 8).toBe(STATUS_LIST_LENGTH);
      return bits;
    };
    expect(bitAt(await list(), index)).toBe(false);

    const revoked = await adminPost(`/v1/pathway-completions/${mine.completion.id}/revocation`, { reason: 'issued in error' });
    expect(revoked.status, revoked.text).toBe(200);
    const bits = await list();
    expect(bitAt(bits, index)).toBe(true);
    expect([...bits].reduce((n, byte) => n + byte.toString(2).split('1').length - 1, 0)).toBe(1);
    const answer = await verifyPathwayCredential({ clock: h.clock, db: h.database.db }, mine.completion.credential);
    expect(answer.verified).toBe(false);
    expect(answer.checks.find((c) => c.check === 'revocation')).toMatchObject({ passed: false, reason: 'revoked' });
    expect((await adminPost(`/v1/pathway-completions/${mine.completion.id}/revocation`, { reason: 'twice' })).status).toBe(409);
  });

  it('when a scheme has issued nothing, then its status list is a 404, its key set is empty, and reading them writes nothing', async () => {
    const fresh = await pw.api.scheme();
    const rows = async () => (await h.database.pool.query(
      `select (select count(*) from scheme_signing_keys where scheme_id = $1) + (select count(*) from scheme_status_lists where scheme_id = $1) n`, [fresh.id])).rows[0].n;
    expect((await request(h.app).get(`/v1/public/schemes/${fresh.id}/status-list`)).status).toBe(404);
    expect((await request(h.app).get(`/v1/public/schemes/${fresh.id}/jwks`)).body).toEqual({ keys: [] });
    expect((await request(h.app).get(`/v1/public/schemes/${randomUUID()}/status-list`)).status).toBe(404);
    expect(Number(await rows())).toBe(0);
  });

  it('when a stacked credential is edited or signed by another key, then the signature check fails and nothing else is trusted', async () => {
    const w = pw;
    const pathway = await definePathway(w, { courseIds: [w.courses[1]!.id, w.courses[2]!.id], rule: { kind: 'all' } });
    const learner = await w.world.learnerWithCredit('100000');
    await complete(h, w, w.courses[1]!, learner);
    await complete(h, w, w.courses[2]!, learner);
    const jwt = (await myPathways(learner.token)).find((p) => p.pathway.id === pathway.id)!.completion.credential as string;
    const [head, , sig] = jwt.split('.');
    const edited = { ...decodeJwt(jwt), name: 'Something grander' };
    const tampered = `${head}.${Buffer.from(JSON.stringify(edited)).toString('base64url')}.${sig}`;
    const writes = async () => (await h.database.pool.query(
      `select (select count(*) from audit_events) + (select count(*) from pathway_completions) + (select count(*) from scheme_signing_keys)
              + (select coalesce(sum(next_index), 0) from scheme_status_lists) + (select count(*) from idempotency_keys) n`)).rows[0].n;
    const before = await writes();
    const viaRoute = await request(h.app).post('/v1/public/credential-verifications').send({ credential: jwt });
    expect(viaRoute.body.verified).toBe(true);
    expect(await writes()).toBe(before);
    const answer = await verifyPathwayCredential({ clock: h.clock, db: h.database.db }, tampered);
    expect(answer.verified).toBe(false);
    expect(answer.checks[0]).toMatchObject({ check: 'signature', passed: false, reason: 'signature_invalid' });
    expect(answer.checks.slice(1).every((c) => !c.passed && c.reason === 'not_checked')).toBe(true);
    const garbage = await verifyPathwayCredential({ clock: h.clock, db: h.database.db }, 'not-a-jwt');
    expect(garbage.checks[0]).toMatchObject({ reason: 'credential_malformed' });
  });
});

describe('POST /v1/pathways', () => {
  it('when the input is bad, then it answers 4xx naming the field and creates nothing', async () => {
    const w = pw;
    const count = async () => Number((await h.database.pool.query(`select count(*) n from pathways`)).rows[0].n);
    const before = await count();
    const bad: [Record<string, unknown>, number, string][] = [
      [{ rule: { kind: 'k_of_n', k: 4 } }, 422, 'body.rule.k'],
      [{ courseIds: [w.courses[0]!.id] }, 422, 'body.courseIds'],
      [{ courseIds: [w.courses[0]!.id, w.courses[0]!.id] }, 422, 'body.courseIds'],
      [{ courseIds: [w.courses[0]!.id, randomUUID()] }, 422, 'body.courseIds.1'],
      [{ withinMonths: 0 }, 422, 'body.withinMonths'],
      [{ award: { bonusCredit: { amount: '-5', expiresInDays: 30 }, achievement: { name: 'x', description: 'y' } } }, 422, 'body.award.bonusCredit.amount'],
      [{ schemeId: randomUUID() }, 422, 'body.schemeId'],
    ];
    for (const [over, status, path] of bad) {
      const res = await adminPost('/v1/pathways', twoOfThreeWithin12(w, over));
      expect(res.status, `${JSON.stringify(over)}: ${res.text}`).toBe(status);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    }
    const body = twoOfThreeWithin12(w);
    expect((await adminPost('/v1/pathways', body)).status).toBe(201);
    expect((await adminPost('/v1/pathways', body)).status).toBe(409);
    expect(await count()).toBe(before + 1);
    const citizen = await h.token('citizen', { learnerId: randomUUID() });
    expect((await request(h.app).post('/v1/pathways').set('authorization', `Bearer ${citizen}`).set('idempotency-key', randomUUID()).send(twoOfThreeWithin12(w))).status).toBe(403);
  });
});
