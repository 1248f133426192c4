import { z } from 'zod';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import type { ServiceDeps } from '../deps.js';
import { searchAuditEvents, verifyAuditTrail } from './audit.service.js';

const verificationSchema = z
  .object({
    intact: z.boolean(),
    breaks: z.array(z.object({ chain: z.number().int(), seq: z.string(), problem: z.string() })),
  })
  .meta({ id: 'AuditVerification' });

const auditEventSchema = z
  .object({
    chain: z.number().int(),
    seq: z.string(),
    occurredAt: z.string(),
    actorId: z.string(),
    actorRole: z.string(),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string(),
    requestId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export function auditRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/audit/verification',
      operationId: 'verifyAuditTrail',
      summary: 'Verify every audit hash chain',
      description: 'Recomputes the hash chains of the audit trail and reports each break (a changed, removed or reordered event). An empty `breaks` list means the trail is intact.',
      tags: ['audit'],
      roles: ['admin', 'finance'],
      responses: { 200: { description: 'Result of the verification', schema: verificationSchema } },
      handler: async () => {
        return { status: 200, body: await verifyAuditTrail(deps.database.db) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/audit-events',
      operationId: 'listAuditEvents',
      summary: 'Audit events, newest first, optionally for one entity',
      description: 'Audit events, newest first, optionally of one entity: who did what, when, under which request id. Admin and finance.',
      tags: ['audit'],
      roles: ['admin', 'finance'],
      query: z.strictObject({
        entityType: z.string().max(64).optional(),
        entityId: z.string().max(64).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(100),
      }),
      responses: { 200: { description: 'Audit events', schema: z.object({ items: z.array(auditEventSchema) }) } },
      handler: async ({ query }) => {
        const rows = await searchAuditEvents(deps.database.db, query);
        return {
          status: 200,
          body: { items: rows.map((r) => ({ ...r, occurredAt: r.occurredAt.toISOString(), hash: r.hash.toString('hex') })) },
        };
      },
    }),
  ];
}
