import { beforeAll, describe, expect, it } from 'vitest';
import { equityCells } from '../../src/modules/equity/equity-report.repo.js';
import { advanceTo, credentialPayload, enrolled, factsFor, HOUR, registerSigner, signCredential, submitClaim, type Enrolled, type Signer, type World } from '../claims/credential-fixtures.js';
import { enrolledModular, modularCourse, moduleCredential, type ModularCourse } from '../claims/modular-fixtures.js';
import { catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let world: World;
let signer: Signer;
let course: ModularCourse;

beforeAll(async () => {
  world = await catalogue(h);
  signer = await registerSigner(h, world);
  course = await modularCourse(world);
});

/** The report's cell for the world's scheme as of `asOf`, every learner in one group (none has an equity profile). */
async function cellAsOf(asOf: Date) {
  const rows = await equityCells(h.database.db, asOf.toISOString(), 'incomeGroup', world.scheme.id);
  expect(rows.map((r) => r.grp)).toEqual(['not_stated']);
  return rows[0]!;
}

/** Claims one module for its whole part, approved at once, an hour after the clock's now; answers when it was decided. */
async function claimModule(e: Enrolled, module: number, amount: bigint): Promise<Date> {
  h.clock.advance(HOUR);
  const res = await submitClaim(h, world.providerToken, { enrolmentId: e.enrolmentId, module, amount: amount.toString(), credential: await moduleCredential(h, world, signer, e, course, module) });
  expect(res.status, res.text).toBe(201);
  expect(res.body.status).toBe('approved');
  return new Date(res.body.decidedAt);
}

describe('equity report: completion of a modular course', () => {
  it('when a learner\'s modules are approved one by one, then the learner counts as completed only as of the last module\'s approval', async () => {
    const e = await enrolledModular(h, world, course, '40000', '50000');
    const parts = [10000n, 12000n, 18000n];
    const decided: Date[] = [];
    for (const [i, part] of parts.entries()) decided.push(await claimModule(e, i + 1, part));
    const justBefore = (d: Date) => new Date(d.getTime() - 1);

    expect(await cellAsOf(justBefore(decided[0]!))).toMatchObject({ learners: 1, enrolled: 1, completed: 0, credit_used: '0' });
    expect(await cellAsOf(decided[0]!)).toMatchObject({ completed: 0, credit_used: '10000' });
    expect(await cellAsOf(decided[1]!)).toMatchObject({ completed: 0, credit_used: '22000' });
    expect(await cellAsOf(justBefore(decided[2]!))).toMatchObject({ completed: 0 });
    expect(await cellAsOf(decided[2]!)).toMatchObject({ learners: 1, enrolled: 1, completed: 1, credit_used: '40000' });
  });

  it('when a learner on a plain course has its one claim approved, then the learner counts as completed as of that approval (one claim is every module)', async () => {
    const plain = await enrolled(h, world, { fee: '30000', credit: '50000' });
    advanceTo(h, new Date(plain.endsAt.getTime() + 2 * HOUR));
    const before = (await cellAsOf(h.clock.now())).completed;
    const res = await submitClaim(h, world.providerToken, {
      enrolmentId: plain.enrolmentId, amount: plain.reserved, credential: await signCredential(credentialPayload(factsFor(world, plain, h)), signer),
    });
    expect(res.body.status, res.text).toBe('approved');
    expect((await cellAsOf(new Date(res.body.decidedAt))).completed).toBe(before + 1);
  });
});
