import { and, eq } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { systemAccounts } from '../db/schema/index.js';
import { newId } from '../lib/ids.js';
import type { Currency } from '../lib/money.js';
import type { Ledger } from './ledger.js';

/**
 * The treasury (where allocated money comes from) and bank clearing (where
 * disbursed money goes) for a currency; created on first use.
 */
export async function ensureSystemAccount(
  db: Db | Tx,
  ledger: Ledger,
  purpose: 'treasury' | 'bank_clearing',
  currency: Currency,
): Promise<string> {
  const found = await db
    .select({ accountId: systemAccounts.accountId })
    .from(systemAccounts)
    .where(and(eq(systemAccounts.purpose, purpose), eq(systemAccounts.currency, currency)));
  if (found[0]) return found[0].accountId;
  const id = newId();
  await ledger.createAccounts(db, [{ id, currency, kind: purpose, limit: 'none' }]);
  await db.insert(systemAccounts).values({ purpose, currency, accountId: id }).onConflictDoNothing();
  const row = await db
    .select({ accountId: systemAccounts.accountId })
    .from(systemAccounts)
    .where(and(eq(systemAccounts.purpose, purpose), eq(systemAccounts.currency, currency)));
  return row[0]!.accountId;
}
