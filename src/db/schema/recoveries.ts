import { sql } from 'drizzle-orm';
import { bigint, char, index, integer, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true });
const amount = (name: string) => bigint(name, { mode: 'bigint' });

/** A provider's receivable ledger account per currency: what it owes back after a paid claim was found wrong. */
export const providerReceivables = pgTable(
  'provider_receivables',
  {
    providerId: uuid('provider_id').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    accountId: uuid('account_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.providerId, t.currency] })],
);

export const reversalReasonCodes = ['fraud', 'no_completion', 'attendance_not_met', 'duplicate_claim', 'credential_revoked', 'provider_error', 'other'] as const;
export type ReversalReasonCode = (typeof reversalReasonCodes)[number];

/**
 * A paid claim found wrong: the provider owes its amount back. Settled by
 * netting against the provider's next payment lines or by a refund the bank
 * statement shows with this recovery's reference.
 */
export const recoveries = pgTable(
  'recoveries',
  {
    id: uuid('id').primaryKey(),
    claimId: uuid('claim_id').notNull(),
    providerId: uuid('provider_id').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    amount: amount('amount').notNull(),
    /** The reference a provider quotes on its refund: at most 35 characters, as bank references are. */
    reference: text('reference').notNull().unique(),
    reasonCode: text('reason_code', { enum: reversalReasonCodes }).notNull(),
    reason: text('reason').notNull(),
    openedAt: ts('opened_at').notNull(),
    openedBy: text('opened_by').notNull(),
  },
  (t) => [uniqueIndex('recoveries_claim_uq').on(t.claimId), index('recoveries_provider_idx').on(t.providerId, t.currency, t.openedAt)],
);

/**
 * Each amount that settles a recovery: netted on a payment line, refunded by
 * the provider, or cancelled by the bank returning the payment it recovers.
 * A repayment goes the other way: what the provider paid back beyond what it
 * owed (a refund of a payment the bank then returned), paid to it on a later
 * line. A netting or repayment a bank return undoes is no longer live.
 */
export const settlementKinds = ['netting', 'refund', 'return', 'repayment'] as const;
export type SettlementKind = (typeof settlementKinds)[number];

export const recoverySettlements = pgTable(
  'recovery_settlements',
  {
    id: uuid('id').primaryKey(),
    recoveryId: uuid('recovery_id').notNull(),
    kind: text('kind', { enum: settlementKinds }).notNull(),
    amount: amount('amount').notNull(),
    paymentLineId: uuid('payment_line_id'),
    statementLineId: uuid('statement_line_id'),
    transferId: uuid('transfer_id').notNull(),
    live: integer('live').notNull().default(1),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    index('recovery_settlements_recovery_idx').on(t.recoveryId),
    index('recovery_settlements_line_idx').on(t.paymentLineId).where(sql`${t.paymentLineId} is not null`),
  ],
);
