import { and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { webhookEndpoints, webhookEndpointSecrets } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { cursorDate, decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { newId } from '../../lib/ids.js';
import type { Acting } from '../acting.js';
import { recordAudit } from '../audit/audit.repo.js';
import { keySealerOf, policyOf, type ServiceDeps } from '../deps.js';
import type { EventType } from '../events/event-types.js';
import { checkEndpointUrl, systemResolver, type AddressPolicy, type Resolver } from './endpoint-address.js';
import { newSigningSecret } from './signing.js';
import { z } from 'zod';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;

/** How long a rotated secret keeps signing beside its successor. */
export const SECRET_GRACE_MS = 24 * 3_600_000;

export interface NewEndpoint {
  url: string;
  eventTypes: EventType[];
  description?: string | undefined;
}

export interface EndpointChange {
  url?: string | undefined;
  eventTypes?: EventType[] | undefined;
  description?: string | null | undefined;
  enabled?: boolean | undefined;
}

export const addressPolicyOf = (deps: ServiceDeps): AddressPolicy => ({ allowLocal: policyOf(deps).webhooksAllowLocal });

/** Refuses a URL that fails the SSRF check with 422 naming body.url and why. */
async function checkedUrl(deps: ServiceDeps, url: string, resolve: Resolver): Promise<string> {
  const checked = await checkEndpointUrl(url, addressPolicyOf(deps), resolve);
  if ('reason' in checked) {
    throw new AppError('validation_failed', 'the request is not valid', { errors: [{ path: 'body.url', message: checked.message }], reasons: [checked.reason] });
  }
  return checked.url.toString();
}

const auditEndpoint = (tx: Tx, deps: ServiceDeps, acting: Acting, action: string, endpointId: string, details: Record<string, unknown>) =>
  recordAudit(tx, { actor: acting.actor, action, entityType: 'webhook_endpoint', entityId: endpointId, requestId: acting.requestId, at: deps.clock.now(), details });

/** The endpoint's host alone goes into the audit trail: a URL's path or query may carry a receiver's token. */
const hostOf = (url: string) => new URL(url).host;

async function insertSecret(tx: Tx, deps: ServiceDeps, endpointId: string): Promise<string> {
  const secret = newSigningSecret();
  await tx.insert(webhookEndpointSecrets).values({ id: newId(), endpointId, sealedSecret: keySealerOf(deps).seal(secret), createdAt: deps.clock.now() });
  return secret;
}

export function endpointsService(deps: ServiceDeps, options: { resolve?: Resolver } = {}) {
  const resolve = options.resolve ?? systemResolver;

  /** The provider's endpoint, locked when asked; another provider's is not found. */
  async function ownEndpoint(db: Db | Tx, providerId: string, endpointId: string, forUpdate = false): Promise<EndpointRow> {
    const q = db.select().from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.providerId, providerId), isNull(webhookEndpoints.deletedAt)));
    const [row] = forUpdate ? await q.for('update') : await q;
    if (!row) throw notFound('webhook endpoint');
    return row;
  }

  return {
    ownEndpoint,

    /** Registers an endpoint; the signing secret is returned here and never again. */
    async create(db: Db | Tx, providerId: string, input: NewEndpoint, acting: Acting): Promise<{ endpoint: EndpointRow; secret: string }> {
      const url = await checkedUrl(deps, input.url, resolve);
      return inTransaction(db, async (tx) => {
        const now = deps.clock.now();
        const [endpoint] = await tx.insert(webhookEndpoints).values({
          id: newId(), providerId, url, eventTypes: [...new Set(input.eventTypes)], description: input.description ?? null,
          enabled: true, createdAt: now, updatedAt: now,
        }).returning();
        const secret = await insertSecret(tx, deps, endpoint!.id);
        await auditEndpoint(tx, deps, acting, 'webhook_endpoint.registered', endpoint!.id, { providerId, host: hostOf(url), eventTypes: endpoint!.eventTypes });
        return { endpoint: endpoint!, secret };
      });
    },

    async list(db: Db | Tx, filter: { providerId?: string | undefined; cursor?: string | undefined; limit: number }) {
      const after = decodeCursor(filter.cursor, z.object({ createdAt: cursorDate, id: z.uuid() }));
      const rows = await db.select().from(webhookEndpoints).where(and(
        isNull(webhookEndpoints.deletedAt),
        filter.providerId ? eq(webhookEndpoints.providerId, filter.providerId) : undefined,
        after ? or(gt(webhookEndpoints.createdAt, after.createdAt), and(eq(webhookEndpoints.createdAt, after.createdAt), gt(webhookEndpoints.id, after.id))) : undefined,
      )).orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id)).limit(filter.limit + 1);
      const items = rows.slice(0, filter.limit);
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > filter.limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null };
    },

    async update(db: Db | Tx, providerId: string, endpointId: string, change: EndpointChange, acting: Acting): Promise<EndpointRow> {
      const url = change.url === undefined ? undefined : await checkedUrl(deps, change.url, resolve);
      return inTransaction(db, async (tx) => {
        await ownEndpoint(tx, providerId, endpointId, true);
        const [after] = await tx.update(webhookEndpoints).set({
          ...(url !== undefined ? { url } : {}),
          ...(change.eventTypes !== undefined ? { eventTypes: [...new Set(change.eventTypes)] } : {}),
          ...(change.description !== undefined ? { description: change.description } : {}),
          ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
          updatedAt: deps.clock.now(),
        }).where(eq(webhookEndpoints.id, endpointId)).returning();
        const changed = Object.entries(change).filter(([, v]) => v !== undefined).map(([k]) => k).sort();
        await auditEndpoint(tx, deps, acting, 'webhook_endpoint.updated', endpointId, {
          changed, ...(url !== undefined ? { host: hostOf(url) } : {}), ...(change.enabled !== undefined ? { enabled: change.enabled } : {}),
          ...(change.eventTypes !== undefined ? { eventTypes: after!.eventTypes } : {}),
        });
        return after!;
      });
    },

    /** Deletes the endpoint: no new deliveries, none retried; its deliveries stay listed. */
    async remove(db: Db | Tx, providerId: string, endpointId: string, acting: Acting): Promise<void> {
      await inTransaction(db, async (tx) => {
        await ownEndpoint(tx, providerId, endpointId, true);
        await tx.update(webhookEndpoints).set({ deletedAt: deps.clock.now(), enabled: false, updatedAt: deps.clock.now() }).where(eq(webhookEndpoints.id, endpointId));
        await auditEndpoint(tx, deps, acting, 'webhook_endpoint.deleted', endpointId, {});
      });
    },

    /**
     * A new secret, returned once. The secrets signing until now keep signing
     * beside it for SECRET_GRACE_MS (one already expiring keeps its earlier end),
     * so the receiver can switch without losing a message.
     */
    async rotateSecret(db: Db | Tx, providerId: string, endpointId: string, acting: Acting): Promise<{ secret: string; previousExpiresAt: Date }> {
      return inTransaction(db, async (tx) => {
        await ownEndpoint(tx, providerId, endpointId, true);
        const now = deps.clock.now();
        const previousExpiresAt = new Date(now.getTime() + SECRET_GRACE_MS);
        await tx.update(webhookEndpointSecrets).set({ expiresAt: previousExpiresAt })
          .where(and(eq(webhookEndpointSecrets.endpointId, endpointId), isNull(webhookEndpointSecrets.expiresAt)));
        const secret = await insertSecret(tx, deps, endpointId);
        await auditEndpoint(tx, deps, acting, 'webhook_endpoint.secret_rotated', endpointId, { previousExpiresAt: previousExpiresAt.toISOString() });
        return { secret, previousExpiresAt };
      });
    },
  };
}

/** The secrets that sign a message at `at`, newest first, opened. */
export async function liveSecrets(deps: ServiceDeps, db: Db | Tx, endpointId: string, at: Date): Promise<string[]> {
  const rows = await db.select({ sealed: webhookEndpointSecrets.sealedSecret }).from(webhookEndpointSecrets)
    .where(and(eq(webhookEndpointSecrets.endpointId, endpointId), or(isNull(webhookEndpointSecrets.expiresAt), gt(webhookEndpointSecrets.expiresAt, at))))
    .orderBy(sql`${webhookEndpointSecrets.createdAt} desc`);
  const sealer = keySealerOf(deps);
  return rows.map((r) => sealer.open(r.sealed));
}
