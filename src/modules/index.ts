import type { AnyRoute } from '../http/route.js';
import { accountRoutes } from './accounts/accounts.routes.js';
import { appealRoutes } from './appeals/appeals.routes.js';
import { approvalRoutes } from './approvals/approvals.routes.js';
import { auditRoutes } from './audit/audit.routes.js';
import { claimRoutes } from './claims/claims.routes.js';
import { courseRoutes } from './courses/courses.routes.js';
import type { ServiceDeps } from './deps.js';
import { disbursementRoutes } from './disbursements/disbursements.routes.js';
import { reconciliationRoutes } from './reconciliation/reconciliation.routes.js';
import { recoveryRoutes } from './recoveries/recoveries.routes.js';
import { reportRoutes } from './reports/reports.routes.js';
import { equityRoutes } from './equity/equity.routes.js';
import { enrolmentRoutes } from './enrolments/enrolments.routes.js';
import { grantRoutes } from './grants/grants.routes.js';
import { learnerCredentialRoutes } from './learner-credentials/learner-credentials.routes.js';
import { learnerRoutes } from './learners/learners.routes.js';
import { ledgerRoutes } from './ledger/ledger.routes.js';
import { schemeRoutes } from './schemes/schemes.routes.js';
import { providerRoutes } from './providers/providers.routes.js';
import { incentiveRoutes } from './incentives/incentives.routes.js';
import { payeeAccountRoutes } from './learners/payee-account/payee-account.routes.js';
import { contactRoutes } from './learners/contact/contact.routes.js';
import { ratingRoutes } from './ratings/ratings.routes.js';
import { pathwayRoutes } from './pathways/pathways.routes.js';
import { counterRoutes } from './counter/counter.routes.js';
import { webhookRoutes } from './webhooks/webhooks.routes.js';
import { dataRightsRoutes } from './data-rights/data-rights.routes.js';

/** Every API route of the service. The access test walks this list. */
export function allRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    ...schemeRoutes(deps),
    ...payeeAccountRoutes(deps),
    ...contactRoutes(deps),
    // Before learnerRoutes: /v1/learners/me/… is not a learner id.
    ...dataRightsRoutes(deps),
    ...learnerRoutes(deps),
    ...grantRoutes(deps),
    ...accountRoutes(deps),
    ...providerRoutes(deps),
    ...courseRoutes(deps),
    ...enrolmentRoutes(deps),
    ...claimRoutes(deps),
    ...learnerCredentialRoutes(deps),
    ...disbursementRoutes(deps),
    ...approvalRoutes(deps),
    ...appealRoutes(deps),
    ...recoveryRoutes(deps),
    ...reconciliationRoutes(deps),
    ...reportRoutes(deps),
    ...equityRoutes(deps),
    ...ledgerRoutes(deps),
    ...auditRoutes(deps),
    ...incentiveRoutes(deps),
    ...ratingRoutes(deps),
    ...pathwayRoutes(deps),
    ...counterRoutes(deps),
    ...webhookRoutes(deps),
  ];
}
