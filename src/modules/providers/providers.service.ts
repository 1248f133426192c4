import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db, Tx } from '../../db/client.js';
import { providers } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { actorOf } from '../acting.js';
import { AppError, forbidden, notFound } from '../../lib/app-error.js';
import type { Principal } from '../../lib/principal.js';
import type { Ledger } from '../../ledger/ledger.js';
import { cursorDate, decodeCursor, encodeCursor } from '../../lib/cursor.js';
import { newId } from '../../lib/ids.js';
import type { Currency } from '../../lib/money.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import { maskBankAccount } from './bank-account.js';
import type { newProviderSchema, providerUpdateSchema } from './providers.schemas.js';
import {
  claimProviderPayable,
  deactivateProviderKey,
  findProvider,
  findProviderByRegistration,
  findProviderPayable,
  insertProvider,
  insertProviderKey,
  listProviderKeys,
  listProviders,
  lockProviderKey,
  updateProvider,
  type ProviderRow,
} from './providers.repo.js';

export type { ProviderKeyRow, ProviderRow } from './providers.repo.js';
import { isUsablePublicKey, thumbprintOf, type PublicSigningJwk } from './signing-key.js';

/** What a service needs to know about the request it serves. */
export interface Caller {
  db: Db | Tx;
  principal: Principal;
  requestId: string;
}

/** The provider a provider-role token speaks for. */
export function ownProviderId(caller: Pick<Caller, 'principal'>): string {
  if (caller.principal.role !== 'provider') throw forbidden('only a provider acts as itself here');
  return caller.principal.providerId;
}

const providerCursor = z.object({ createdAt: cursorDate, id: z.uuid() });

/**
 * The provider's payable ledger account in a currency, created the first
 * time it is needed. Safe under concurrency: only the transaction that wins
 * the provider_payables row creates the ledger account.
 */
export async function ensureProviderPayable(db: Db | Tx, ledger: Ledger, providerId: string, currency: Currency): Promise<string> {
  const existing = await findProviderPayable(db, providerId, currency);
  if (existing) return existing;
  return inTransaction(db, async (tx) => {
    const accountId = newId();
    if (await claimProviderPayable(tx, providerId, currency, accountId)) {
      await ledger.createAccounts(tx, [{ id: accountId, currency, kind: 'provider_payable', ownerId: providerId, limit: 'none' }]);
      return accountId;
    }
    const winner = await findProviderPayable(tx, providerId, currency);
    if (!winner) throw new Error(`provider payable for ${providerId}/${currency} vanished after a conflict`);
    return winner;
  });
}

/** The provider a sign-in names by its registration number, or undefined. */
export const providerByRegistration = (db: Db | Tx, country: string, registrationNumber: string) =>
  findProviderByRegistration(db, country, registrationNumber);

/** The caller's own provider record, refused when it is not registered or is suspended. */
export async function requireActiveProvider(db: Db | Tx, providerId: string): Promise<ProviderRow> {
  const provider = await findProvider(db, providerId);
  if (!provider) throw forbidden('your provider account is not registered');
  if (provider.status !== 'active') throw forbidden('your provider account is suspended');
  return provider;
}

export function providersService(deps: ServiceDeps) {
  const audit = (tx: Tx, caller: Caller, action: string, entityType: string, entityId: string, details: Record<string, unknown>) =>
    recordAudit(tx, { actor: actorOf(caller), action, entityType, entityId, requestId: caller.requestId, at: deps.clock.now(), details });

  async function getProvider(db: Db | Tx, providerId: string): Promise<ProviderRow> {
    const provider = await findProvider(db, providerId);
    if (!provider) throw notFound('provider');
    return provider;
  }

  return {
    getProvider,

    async create(caller: Caller, input: z.output<typeof newProviderSchema>): Promise<ProviderRow> {
      return inTransaction(caller.db, async (tx) => {
        const now = deps.clock.now();
        const provider = await insertProvider(tx, { id: newId(), ...input, status: 'active', createdAt: now, updatedAt: now });
        await audit(tx, caller, 'provider.created', 'provider', provider.id, {
          legalName: provider.legalName,
          country: provider.country,
          registrationNumber: provider.registrationNumber,
          bankAccount: maskBankAccount(input.bankAccount),
        });
        return provider;
      });
    },

    async list(db: Db | Tx, query: { status?: ProviderRow['status'] | undefined; cursor?: string | undefined; limit: number }) {
      const after = decodeCursor(query.cursor, providerCursor);
      const rows = await listProviders(db, { status: query.status, after, limit: query.limit + 1 });
      const items = rows.slice(0, query.limit);
      const last = items.at(-1);
      const nextCursor = rows.length > query.limit && last ? encodeCursor({ createdAt: last.createdAt.toISOString(), id: last.id }) : null;
      return { items, nextCursor };
    },

    /** Contact and status. Payee details (name, bank account) change only through a proposal: see payee-change.ts. */
    async update(caller: Caller, providerId: string, input: z.output<typeof providerUpdateSchema>): Promise<ProviderRow> {
      return inTransaction(caller.db, async (tx) => {
        const before = await findProvider(tx, providerId, { forUpdate: true });
        if (!before) throw notFound('provider');
        const { reason, ...changes } = input;
        let after = await updateProvider(tx, providerId, { ...changes, updatedAt: deps.clock.now() });
        const statusChanged = before.status !== after.status;
        // The suspension in force, readable where its claims show it as their hold; cleared on reinstatement (the audit keeps the history).
        if (statusChanged) {
          const suspended = after.status === 'suspended';
          const [stored] = await tx
            .update(providers)
            .set({
              suspendedAt: suspended ? deps.clock.now() : null, suspensionReason: suspended ? (reason ?? null) : null,
              suspendedBy: suspended ? caller.principal.subject : null,
            })
            .where(eq(providers.id, providerId))
            .returning();
          after = stored!;
        }
        const action = !statusChanged ? 'provider.updated' : after.status === 'suspended' ? 'provider.suspended' : 'provider.reinstated';
        await audit(tx, caller, action, 'provider', providerId, {
          changed: Object.keys(changes),
          ...(reason !== undefined ? { reason } : {}),
          ...(statusChanged ? { status: { from: before.status, to: after.status } } : {}),
          ...(changes.contactEmail !== undefined ? { contactEmail: { from: before.contactEmail, to: after.contactEmail } } : {}),
        });
        return after;
      });
    },

    /** A provider may change only its contact address; bank details change only through an administrator. */
    async updateOwnContact(caller: Caller, providerId: string, contactEmail: string): Promise<ProviderRow> {
      return inTransaction(caller.db, async (tx) => {
        const before = await findProvider(tx, providerId, { forUpdate: true });
        if (!before) throw notFound('provider');
        const after = await updateProvider(tx, providerId, { contactEmail, updatedAt: deps.clock.now() });
        await audit(tx, caller, 'provider.updated', 'provider', providerId, {
          changed: ['contactEmail'],
          contactEmail: { from: before.contactEmail, to: after.contactEmail },
        });
        return after;
      });
    },

    async addKey(caller: Caller, providerId: string, jwk: PublicSigningJwk) {
      if (!(await isUsablePublicKey(jwk))) {
        throw new AppError('validation_failed', 'the request is not valid', {
          errors: [{ path: 'body.jwk', message: 'is not a usable public key: the coordinates are not a point on the curve' }],
        });
      }
      const kid = jwk.kid ?? (await thumbprintOf(jwk));
      return inTransaction(caller.db, async (tx) => {
        await getProvider(tx, providerId);
        const key = await insertProviderKey(tx, {
          id: newId(),
          providerId,
          kid,
          alg: jwk.alg,
          publicJwk: { ...jwk, kid },
          status: 'active',
          createdAt: deps.clock.now(),
        });
        await audit(tx, caller, 'provider_key.registered', 'provider', providerId, { keyId: key.id, kid, alg: key.alg });
        return key;
      });
    },

    async listKeys(db: Db | Tx, providerId: string) {
      await getProvider(db, providerId);
      return listProviderKeys(db, providerId);
    },

    async deactivateKey(caller: Caller, providerId: string, keyId: string) {
      return inTransaction(caller.db, async (tx) => {
        const key = await lockProviderKey(tx, providerId, keyId);
        if (!key) throw notFound('provider key');
        if (key.status !== 'active') throw new AppError('invalid_state', 'the key is already deactivated');
        const deactivated = await deactivateProviderKey(tx, keyId, deps.clock.now());
        await audit(tx, caller, 'provider_key.deactivated', 'provider', providerId, { keyId, kid: key.kid });
        return deactivated;
      });
    },
  };
}

export type ProvidersService = ReturnType<typeof providersService>;
