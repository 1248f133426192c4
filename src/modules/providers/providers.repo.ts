import { and, asc, eq, gt, or, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { providerKeys, providerPayables, providers } from '../../db/schema/index.js';
import type { Currency } from '../../lib/money.js';
import type { PublicSigningJwk, SigningAlg } from './signing-key.js';

export type ProviderRow = typeof providers.$inferSelect;
export type ProviderKeyRow = typeof providerKeys.$inferSelect;

export async function insertProvider(db: Db | Tx, row: typeof providers.$inferInsert): Promise<ProviderRow> {
  const [created] = await db.insert(providers).values(row).returning();
  return created!;
}

export async function findProvider(db: Db | Tx, id: string, options: { forUpdate?: boolean } = {}): Promise<ProviderRow | undefined> {
  const query = db.select().from(providers).where(eq(providers.id, id));
  const [row] = options.forUpdate ? await query.for('update') : await query;
  return row;
}

type ProviderChanges = { [K in 'legalName' | 'contactEmail' | 'bankAccount' | 'status']?: ProviderRow[K] | undefined } & { updatedAt: Date };

/** Fields left undefined are not changed. */
export async function updateProvider(db: Db | Tx, id: string, changes: ProviderChanges): Promise<ProviderRow> {
  const [row] = await db.update(providers).set(changes).where(eq(providers.id, id)).returning();
  return row!;
}

/** Keyset page in (created_at, id) order: the cursor is the last row of the previous page. */
/** The provider registered under this number in this country (unique per country). */
export async function findProviderByRegistration(db: Db | Tx, country: string, registrationNumber: string): Promise<ProviderRow | undefined> {
  const [row] = await db.select().from(providers).where(and(eq(providers.country, country), eq(providers.registrationNumber, registrationNumber))).limit(1);
  return row;
}

export async function listProviders(
  db: Db | Tx,
  filter: { status?: ProviderRow['status'] | undefined; after?: { createdAt: Date; id: string } | undefined; limit: number },
): Promise<ProviderRow[]> {
  const conditions: (SQL | undefined)[] = [
    filter.status ? eq(providers.status, filter.status) : undefined,
    filter.after
      ? or(gt(providers.createdAt, filter.after.createdAt), and(eq(providers.createdAt, filter.after.createdAt), gt(providers.id, filter.after.id)))
      : undefined,
  ];
  return db
    .select()
    .from(providers)
    .where(and(...conditions))
    .orderBy(asc(providers.createdAt), asc(providers.id))
    .limit(filter.limit);
}

export async function insertProviderKey(db: Db | Tx, row: typeof providerKeys.$inferInsert): Promise<ProviderKeyRow> {
  const [created] = await db.insert(providerKeys).values(row).returning();
  return created!;
}

export async function lockProviderKey(db: Db | Tx, providerId: string, keyId: string): Promise<ProviderKeyRow | undefined> {
  const [row] = await db
    .select()
    .from(providerKeys)
    .where(and(eq(providerKeys.providerId, providerId), eq(providerKeys.id, keyId)))
    .for('update');
  return row;
}

export async function deactivateProviderKey(db: Db | Tx, keyId: string, at: Date): Promise<ProviderKeyRow> {
  const [row] = await db
    .update(providerKeys)
    .set({ status: 'deactivated', deactivatedAt: at })
    .where(eq(providerKeys.id, keyId))
    .returning();
  return row!;
}

export async function listProviderKeys(db: Db | Tx, providerId: string): Promise<ProviderKeyRow[]> {
  return db.select().from(providerKeys).where(eq(providerKeys.providerId, providerId)).orderBy(asc(providerKeys.createdAt), asc(providerKeys.id));
}

export interface ActiveProviderKey {
  id: string;
  kid: string;
  alg: SigningAlg;
  publicJwk: PublicSigningJwk;
}

/** The keys a credential from this provider may be verified with. */
export async function activeProviderKeys(db: Db | Tx, providerId: string): Promise<ActiveProviderKey[]> {
  const rows = await db
    .select({ id: providerKeys.id, kid: providerKeys.kid, alg: providerKeys.alg, publicJwk: providerKeys.publicJwk })
    .from(providerKeys)
    .where(and(eq(providerKeys.providerId, providerId), eq(providerKeys.status, 'active')))
    .orderBy(asc(providerKeys.createdAt));
  return rows.map((r) => ({ ...r, publicJwk: r.publicJwk as PublicSigningJwk }));
}

/** Claims the (provider, currency) slot for accountId; returns false when another transaction already holds it. */
export async function claimProviderPayable(db: Db | Tx, providerId: string, currency: Currency, accountId: string): Promise<boolean> {
  const inserted = await db
    .insert(providerPayables)
    .values({ providerId, currency, accountId })
    .onConflictDoNothing()
    .returning({ accountId: providerPayables.accountId });
  return inserted.length > 0;
}

export async function findProviderPayable(db: Db | Tx, providerId: string, currency: Currency): Promise<string | undefined> {
  const [row] = await db
    .select({ accountId: providerPayables.accountId })
    .from(providerPayables)
    .where(and(eq(providerPayables.providerId, providerId), eq(providerPayables.currency, currency)));
  return row?.accountId;
}
