import type { Currency } from '../lib/money.js';

export type AccountKind = 'treasury' | 'scheme_budget' | 'learner_grant' | 'provider_payable' | 'provider_receivable' | 'bank_clearing' | 'incentive_budget' | 'learner_payable';

/**
 * `debits_must_not_exceed_credits`: an account that holds money (a grant, a
 * budget) and may never be overdrawn. `none`: an account that may go either
 * way (treasury) or only receives (a payable); never locked by a transfer.
 */
export type AccountLimit = 'debits_must_not_exceed_credits' | 'credits_must_not_exceed_debits' | 'none';

export interface AccountInput {
  id: string;
  currency: Currency;
  kind: AccountKind;
  ownerId?: string | null;
  limit: AccountLimit;
}

export interface AccountBalance {
  id: string;
  currency: Currency;
  kind: AccountKind;
  ownerId: string | null;
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
}

export type TransferKind = 'posted' | 'pending' | 'post_pending' | 'void_pending';

export interface TransferInput {
  /** Chosen by the caller: sending the same id again is the same transfer. */
  id: string;
  kind: TransferKind;
  debitAccountId?: string;
  creditAccountId?: string;
  /** For post_pending: omitted means the full pending amount; less releases the rest. */
  amount?: bigint;
  currency?: Currency;
  pendingId?: string;
  timeoutSeconds?: number;
  /** What the movement is for, e.g. `reservation`, `grant`, `claim_payment`. */
  code: string;
  /** The business object it belongs to (enrolment, grant, batch line). */
  referenceId?: string;
  /** Commit with the next transfer or not at all. */
  linked?: boolean;
}

export type TransferResult =
  | 'ok'
  | 'exists'
  | 'linked_event_failed'
  | 'linked_event_chain_open'
  | 'exceeds_credits'
  | 'exceeds_debits'
  | 'debit_account_not_found'
  | 'credit_account_not_found'
  | 'accounts_must_be_different'
  | 'accounts_must_have_the_same_currency'
  | 'transfer_currency_differs_from_accounts'
  | 'amount_must_be_positive'
  | 'amount_must_not_be_negative'
  | 'pending_transfer_not_found'
  | 'pending_transfer_not_pending'
  | 'pending_transfer_already_posted'
  | 'pending_transfer_already_voided'
  | 'pending_transfer_expired'
  | 'pending_transfer_has_different_amount'
  | 'exceeds_pending_transfer_amount'
  | OverflowResult
  | `exists_with_different_${string}`
  | `pending_transfer_has_different_${string}`
  | (string & {});

export const isSuccess = (r: TransferResult): boolean => r === 'ok' || r === 'exists';

/**
 * A counter of the debit account (debits) or of the credit account (credits)
 * would pass the largest value PostgreSQL's bigint holds, or a pending
 * timeout the last timestamp it holds. TigerBeetle's names.
 */
export type OverflowResult =
  | 'overflows_debits_pending'
  | 'overflows_credits_pending'
  | 'overflows_debits_posted'
  | 'overflows_credits_posted'
  | 'overflows_debits'
  | 'overflows_credits'
  | 'overflows_timeout';

/** The largest value of a balance counter (int8). */
export const MAX_COUNTER = 9_223_372_036_854_775_807n;

export const isOverflow = (r: TransferResult): r is OverflowResult => r.startsWith('overflows_');

/** What an overflow result means, in words a caller can act on. */
export function describeOverflow(r: OverflowResult): string {
  if (r === 'overflows_timeout') return 'the pending timeout would end after the last instant the ledger can hold';
  const [, side, counter] = /^overflows_(debits|credits)(?:_(pending|posted))?$/.exec(r) ?? [];
  const account = side === 'debits' ? 'debit account' : 'credit account';
  const what = counter ? `${counter} ${side}` : `${side} (pending and posted together)`;
  return `the transfer would take the ${account}'s ${what} past ${MAX_COUNTER}, the most a balance can hold`;
}

/**
 * What an account holding money can still spend: posted credits less posted
 * and pending debits (TigerBeetle vocabulary). SQL computes the same rule
 * with ledger_available (ledger.sql) and nowhere else.
 */
export const available = (a: AccountBalance): bigint => a.creditsPosted - a.debitsPosted - a.debitsPending;
