import type { Db, Tx } from '../../db/client.js';
import { notFound } from '../../lib/app-error.js';
import type { ServiceDeps } from '../deps.js';
import { evaluateEligibility } from './evaluate-eligibility.js';
import { loadEligibilityInput } from './load-eligibility-input.js';

/** Whether the run is fundable for the learner now. A provider asks only about its own runs; another's is a 404. */
export async function checkEligibility(deps: ServiceDeps, db: Db | Tx, learnerId: string, courseRunId: string, ownProviderId?: string) {
  const input = await loadEligibilityInput(db, { learnerId, runId: courseRunId, at: deps.clock.now() });
  if (ownProviderId && input.run.providerId !== ownProviderId) throw notFound('course run');
  return evaluateEligibility(input);
}
