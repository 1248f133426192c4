import type { AuditEntry } from '../modules/audit/audit.repo.js';
import type { RouteContext } from './route.js';

/** Who did it, as the audit trail records it. */
export const actorOf = (ctx: Pick<RouteContext, 'principal'>): AuditEntry['actor'] => ({
  role: ctx.principal.role,
  subject: ctx.principal.subject,
});
