import type { PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';
import { approvalPages } from './approvals.js';
import { batchPages } from './batches.js';
import { reconciliationPages } from './reconciliation.js';
import { reportPages } from './reports.js';
import { reviewPages } from './review.js';

/** The finance console, for the finance role: review queue, batches, statements, exceptions and reports, on the /v1 routes' services. */
export function financePages(deps: WebDeps): PageSpec[] {
  return [...reviewPages(deps), ...approvalPages(deps), ...batchPages(deps), ...reconciliationPages(deps), ...reportPages(deps)];
}
