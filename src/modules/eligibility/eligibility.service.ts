import type { Db, Tx } from '../../db/client.js';
import { notFound } from '../../lib/app-error.js';
import type { ServiceDeps } from '../deps.js';
import type { EligibilityResult } from './eligibility.types.js';
import { evaluateEligibility } from './evaluate-eligibility.js';
import { loadEligibilityInput } from './load-eligibility-input.js';

/**
 * Whether the run is fundable for the learner now. A provider asks only about its own runs; another's is a 404.
 * A provider sees the amounts but not which targeting rule applied: that would tell it the learner's equity group.
 */
export async function checkEligibility(deps: ServiceDeps, db: Db | Tx, learnerId: string, courseRunId: string, ownProviderId?: string) {
  const input = await loadEligibilityInput(db, { learnerId, runId: courseRunId, at: deps.clock.now() });
  if (ownProviderId && input.run.providerId !== ownProviderId) throw notFound('course run');
  const result = evaluateEligibility(input);
  return ownProviderId ? withoutTargeting(result) : result;
}

function withoutTargeting(result: EligibilityResult): EligibilityResult {
  return { ...result, checks: result.checks.filter((c) => c.rule !== 'scheme.targeting'), appliedTargeting: [] };
}
