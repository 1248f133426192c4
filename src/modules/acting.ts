import type { AuditEntry } from './audit/audit.repo.js';

/** Who is doing this, and in which request: what a service writes into the audit trail. */
export interface Acting {
  actor: AuditEntry['actor'];
  requestId?: string | undefined;
}
