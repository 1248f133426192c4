import { eq } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { learners } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { newId } from '../../lib/ids.js';
import { nationalIdProblem } from '../../lib/national-id.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import { findLearner, findLearnerByNationalIdHash } from './learners.repo.js';
import type { Acting } from '../acting.js';
import type { LearnerRow } from './learners.repo.js';

function checkNationalId(country: string, nationalId: string) {
  const problem = nationalIdProblem(country, nationalId);
  if (problem) throw new AppError('validation_failed', 'the request is not valid', { errors: [{ path: 'body.nationalId', message: problem }] });
}

export async function registerLearner(
  deps: ServiceDeps,
  db: Db | Tx,
  input: {
    country: string; nationalId: string; fullName: string; dateOfBirth: string; citizenship: string;
    employmentStatus: string; incomeGroup: string;
  },
  acting: Acting,
) {
  checkNationalId(input.country, input.nationalId);
  const now = deps.clock.now();
  if (new Date(`${input.dateOfBirth}T00:00:00Z`) > now) {
    throw new AppError('validation_failed', 'the request is not valid', { errors: [{ path: 'body.dateOfBirth', message: 'must not be in the future' }] });
  }
  const hash = deps.nationalIds.hash(input.country, input.nationalId);
  return inTransaction(db, async (tx) => {
    if (await findLearnerByNationalIdHash(tx, input.country, hash)) {
      throw new AppError('conflict', 'a learner with this national id is already registered; look them up instead');
    }
    const id = newId();
    await tx.insert(learners).values({
      id, country: input.country, nationalIdHash: hash, nationalIdMasked: deps.nationalIds.mask(input.nationalId),
      subjectId: `urn:uuid:${newId()}`, fullName: input.fullName, dateOfBirth: input.dateOfBirth, citizenship: input.citizenship,
      employmentStatus: input.employmentStatus, incomeGroup: input.incomeGroup, createdAt: now,
    });
    await recordAudit(tx, { ...acting, action: 'learner.registered', entityType: 'learner', entityId: id, at: now });
    return (await findLearner(tx, id))!;
  });
}

export async function lookupLearner(deps: ServiceDeps, db: Db | Tx, country: string, nationalId: string) {
  checkNationalId(country, nationalId);
  const found = await findLearnerByNationalIdHash(db, country, deps.nationalIds.hash(country, nationalId));
  if (!found) throw notFound('learner');
  return found;
}

export async function updateLearner(
  deps: ServiceDeps, db: Db | Tx, id: string,
  changes: { fullName?: string | undefined; employmentStatus?: string | undefined; incomeGroup?: string | undefined },
  acting: Acting,
) {
  return inTransaction(db, async (tx) => {
    if (!(await findLearner(tx, id))) throw notFound('learner');
    const set = Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined));
    await tx.update(learners).set(set).where(eq(learners.id, id));
    await recordAudit(tx, { ...acting, action: 'learner.updated', entityType: 'learner', entityId: id, at: deps.clock.now(), details: { fields: Object.keys(set) } });
    return (await findLearner(tx, id))!;
  });
}

export async function getLearner(db: Db | Tx, learnerId: string): Promise<LearnerRow> {
  const learner = await findLearner(db, learnerId);
  if (!learner) throw notFound('learner');
  return learner;
}
