import type { Principal } from '../lib/principal.js';
import type { AuditEntry } from './audit/audit.repo.js';

/** Who is doing this, and in which request: what a service writes into the audit trail. */
export interface Acting {
  actor: AuditEntry['actor'];
  requestId?: string | undefined;
}

/** Who did it, as the audit trail records it. */
export const actorOf = (caller: { principal: Principal }): AuditEntry['actor'] => ({
  role: caller.principal.role,
  subject: caller.principal.subject,
});

/** The Acting of a request: its caller and its id. */
export const actingOf = (caller: { principal: Principal; requestId: string }): Acting => ({ actor: actorOf(caller), requestId: caller.requestId });

/**
 * Whether two recorded subjects are one person, for the four-eyes rule. The
 * pages sign people in as `oidc:<sub>` while API tokens carry the bare `sub`:
 * the same officer through both doors is still one person. Erring towards
 * "same" only ever asks for another officer.
 */
export const samePerson = (a: string | null | undefined, b: string | null | undefined): boolean =>
  a != null && b != null && a.replace(/^oidc:/, '') === b.replace(/^oidc:/, '');
