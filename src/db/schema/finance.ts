import { sql } from 'drizzle-orm';
import { bigint, char, check, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true });
const amount = (name: string) => bigint(name, { mode: 'bigint' });

export const batchStatuses = ['proposed', 'rejected', 'submitted', 'settled', 'partially_settled', 'returned'] as const;

/** Approved, unpaid claims up to a cut-off, one payment line per provider. */
export const disbursementBatches = pgTable('disbursement_batches', {
  id: uuid('id').primaryKey(),
  /** Claims that drew on this scheme; null means every scheme of the currency. */
  schemeId: uuid('scheme_id'),
  currency: char('currency', { length: 3 }).notNull(),
  cutOff: ts('cut_off').notNull(),
  messageId: text('message_id').notNull().unique(),
  /** proposed (awaiting a second officer) -> submitted (released: money pending to the bank) -> settled | partially_settled | returned; or rejected. */
  status: text('status', { enum: batchStatuses }).notNull(),
  lineCount: integer('line_count').notNull(),
  controlSum: amount('control_sum').notNull(),
  requestedExecutionDate: date('requested_execution_date', { mode: 'string' }).notNull(),
  createdAt: ts('created_at').notNull(),
  createdBy: text('created_by').notNull(),
  /** The second officer, who released it: only then do the pending transfers and the payment file exist. */
  releasedAt: ts('released_at'),
  releasedBy: text('released_by'),
  /** Providers left out of the batch, with the reason: one unpayable line never blocks the rest. */
  excluded: jsonb('excluded').notNull().default(sql`'[]'::jsonb`),
});

export const paymentLines = pgTable(
  'payment_lines',
  {
    id: uuid('id').primaryKey(),
    batchId: uuid('batch_id').notNull().references(() => disbursementBatches.id),
    /** A line pays a provider (its claims) or a learner (their incentives, payment_line_incentives): exactly one of the two. */
    payeeKind: text('payee_kind', { enum: ['provider', 'learner'] }).notNull().default('provider'),
    providerId: uuid('provider_id'),
    learnerId: uuid('learner_id'),
    /** Unique end-to-end reference the bank echoes back on the statement. */
    endToEndId: text('end_to_end_id').notNull().unique(),
    /** What the bank pays: the claims, less what the provider owes back (deducted). */
    amount: amount('amount').notNull(),
    claimsTotal: amount('claims_total').notNull(),
    deducted: amount('deducted').notNull().default(0n),
    currency: char('currency', { length: 3 }).notNull(),
    creditorName: text('creditor_name').notNull(),
    /** The provider's bank account as it was when the batch was made. */
    creditorAccount: jsonb('creditor_account').notNull(),
    transferId: uuid('transfer_id').notNull().unique(),
    /** proposed and cancelled lines have no transfer yet (or never will); the bank only ever sees pending ones. */
    status: text('status', { enum: ['proposed', 'cancelled', 'pending', 'settled', 'returned', 'netted'] }).notNull(),
    settledAt: ts('settled_at'),
    returnedAt: ts('returned_at'),
  },
  (t) => [
    index('payment_lines_batch_idx').on(t.batchId),
    index('payment_lines_pending_idx').on(t.status).where(sql`${t.status} = 'pending'`),
    check('payment_lines_one_payee', sql`(${t.payeeKind} = 'provider' and ${t.providerId} is not null and ${t.learnerId} is null)
      or (${t.payeeKind} = 'learner' and ${t.learnerId} is not null and ${t.providerId} is null)`),
  ],
);

/** Which claims a line pays. A claim is in at most one live line. */
export const paymentLineClaims = pgTable(
  'payment_line_claims',
  {
    lineId: uuid('line_id').notNull().references(() => paymentLines.id),
    claimId: uuid('claim_id').notNull(),
    amount: amount('amount').notNull(),
    live: integer('live').notNull().default(1),
  },
  (t) => [primaryKey({ columns: [t.lineId, t.claimId] }), uniqueIndex('payment_line_claims_live_uq').on(t.claimId).where(sql`${t.live} = 1`)],
);

export const bankStatements = pgTable('bank_statements', {
  id: uuid('id').primaryKey(),
  format: text('format', { enum: ['csv', 'camt.053'] }).notNull(),
  /** Importing the same file twice changes nothing. */
  sha256: text('sha256').notNull().unique(),
  statementRef: text('statement_ref'),
  lineCount: integer('line_count').notNull(),
  matched: integer('matched').notNull(),
  exceptions: integer('exceptions').notNull(),
  returned: integer('returned').notNull().default(0),
  /** Lines that refunded what a provider owed on a recovery. */
  refunded: integer('refunded').notNull().default(0),
  /** Lines the bank has not booked (PDNG, INFO): recorded and shown, they move no money. */
  pending: integer('pending').notNull().default(0),
  info: integer('info').notNull().default(0),
  /** reconciled, or balance_mismatch: the opening balance plus the booked entries is not the closing balance, and nothing was reconciled. */
  outcome: text('outcome', { enum: ['reconciled', 'balance_mismatch'] }).notNull().default('reconciled'),
  /** The account the bank says the statement is for (camt.053 Stmt/Acct/Id; CSV `# account:`). */
  account: text('account'),
  /** camt.053: the statement's currency and its opening and closing booked balances, signed (a credit balance is positive). */
  currency: char('currency', { length: 3 }),
  openingBalance: amount('opening_balance'),
  closingBalance: amount('closing_balance'),
  importedAt: ts('imported_at').notNull(),
  importedBy: text('imported_by').notNull(),
});

export const statementLines = pgTable(
  'statement_lines',
  {
    id: uuid('id').primaryKey(),
    statementId: uuid('statement_id').notNull().references(() => bankStatements.id),
    lineNo: integer('line_no').notNull(),
    endToEndId: text('end_to_end_id'),
    amount: amount('amount').notNull(),
    currency: char('currency', { length: 3 }).notNull(),
    direction: text('direction', { enum: ['debit', 'credit'] }).notNull(),
    /** A credit line that returns an earlier payment (camt.053 RtrInf, RRTN/RTRN or RvslInd=true). */
    isReturn: integer('is_return').notNull().default(0),
    /** The bank's entry status: only BOOK moves money; PDNG and INFO are recorded and shown. */
    entryStatus: text('entry_status', { enum: ['BOOK', 'PDNG', 'INFO'] }).notNull().default('BOOK'),
    /** Null only for an entry the bank has not booked and gave no date. */
    bookingDate: date('booking_date', { mode: 'string' }),
    /** pending / info: not booked, decided nothing; unbalanced: the statement's balances did not add up, so no line was reconciled. */
    outcome: text('outcome', { enum: ['settled', 'returned', 'exception', 'pending', 'info', 'unbalanced', 'refunded'] }).notNull(),
    paymentLineId: uuid('payment_line_id'),
  },
  (t) => [index('statement_lines_ref_idx').on(t.endToEndId), uniqueIndex('statement_lines_no_uq').on(t.statementId, t.lineNo)],
);

/** balance_mismatch is about a whole statement (statement_id), not a line; unexpected_entry is a booked line the service never acts on (a debit marked as a reversal). */
export const exceptionKinds = ['amount_differs', 'unknown_reference', 'duplicate', 'returned_payment', 'not_seen', 'balance_mismatch', 'unexpected_entry'] as const;

export const reconciliationExceptions = pgTable(
  'reconciliation_exceptions',
  {
    id: uuid('id').primaryKey(),
    kind: text('kind', { enum: exceptionKinds }).notNull(),
    statementId: uuid('statement_id').references(() => bankStatements.id),
    statementLineId: uuid('statement_line_id'),
    paymentLineId: uuid('payment_line_id'),
    detail: text('detail').notNull(),
    expected: amount('expected'),
    actual: amount('actual'),
    currency: char('currency', { length: 3 }).notNull(),
    status: text('status', { enum: ['open', 'resolved'] }).notNull().default('open'),
    raisedAt: ts('raised_at').notNull(),
    resolvedBy: text('resolved_by'),
    resolution: text('resolution'),
    resolvedAt: ts('resolved_at'),
  },
  (t) => [
    index('reconciliation_exceptions_open_idx').on(t.status, t.raisedAt),
    uniqueIndex('reconciliation_exceptions_not_seen_uq').on(t.paymentLineId).where(sql`${t.kind} = 'not_seen'`),
    uniqueIndex('reconciliation_exceptions_balance_uq').on(t.statementId).where(sql`${t.kind} = 'balance_mismatch'`),
  ],
);
