import type { AnyRoute } from '../http/route.js';
import { auditRoutes } from './audit/audit.routes.js';
import type { ServiceDeps } from './deps.js';
import { ledgerRoutes } from './ledger/ledger.routes.js';

/** Every API route of the service. The access test walks this list. */
export function allRoutes(deps: ServiceDeps): AnyRoute[] {
  return [...ledgerRoutes(deps), ...auditRoutes(deps)];
}
