import type { Db, Tx } from '../../db/client.js';
import { inReadSnapshot } from '../../db/transaction.js';
import { notFound } from '../../lib/app-error.js';
import { movementsPage } from '../accounts/accounts.service.js';
import type { ServiceDeps } from '../deps.js';
import { findLearner } from '../learners/learners.repo.js';
import { learnerView } from '../learners/learners.schemas.js';
import { learnerRows } from './data-export.repo.js';

const MOVEMENTS_PER_READ = 200;

/** The Content-Disposition of an export: a file to save, named by the day it was made. */
export const exportDisposition = (exportedAt: string) => `attachment; filename="learning-credits-data-${exportedAt.slice(0, 10)}.json"`;

/**
 * Everything the service holds about one learner, as JSON (the right of
 * access and portability): the profile, every movement of their credit, and
 * every row keyed by them (data-export.repo.ts). Amounts are strings of minor
 * units beside their currency, as in the rest of the API. The keyed hash of
 * the national id is not personal data the learner can use and is left out;
 * the masked id is in the profile. Read in one repeatable-read snapshot, so
 * the sections agree with each other.
 */
export async function learnerDataExport(deps: ServiceDeps, db: Db | Tx, learnerId: string) {
  return inReadSnapshot(db, async (tx) => {
    const learner = await findLearner(tx, learnerId);
    if (!learner) throw notFound('learner');
    const movements = [];
    let cursor: string | undefined;
    do {
      const page = await movementsPage(tx, learnerId, { cursor, limit: MOVEMENTS_PER_READ });
      movements.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return {
      exportedAt: deps.clock.now().toISOString(),
      profile: learnerView(learner),
      movements,
      ...(await learnerRows(tx, learnerId)),
    };
  });
}
