import type { Db, Tx } from '../../../db/client.js';
import { inTransaction } from '../../../db/transaction.js';
import { AppError, notFound } from '../../../lib/app-error.js';
import { newId } from '../../../lib/ids.js';
import type { ApprovalRow } from '../../approvals/approvals.repo.js';
import { latestProposalOf, propose, type ApprovalKind } from '../../approvals/approvals.service.js';
import { recordAudit } from '../../audit/audit.repo.js';
import type { Acting } from '../../acting.js';
import type { ServiceDeps } from '../../deps.js';
import { bankAccountCountryErrors, maskBankAccount, type BankAccount } from '../../providers/bank-account.js';
import { findPayeeAccount, insertPayeeAccount, lockLearnerRow, payeeAccountsOf, setPayeeStatus, type PayeeAccountRow } from './payee-account.repo.js';
import { ewalletProviders, type PayeeAccountInput } from './payee-account.schemas.js';

export const LEARNER_PAYEE_CHANGE = 'learner.payee_change';

/** What is stored for a payee account: the account as a payment file pays it, and for an e-wallet which wallet it is. */
export interface StoredPayeeAccount {
  payment: BankAccount;
  ewallet?: { provider: keyof typeof ewalletProviders; accountId: string };
}

/**
 * A name as people write it, for comparing: accents dropped, letters
 * upper-cased, every run of spaces or punctuation one space.
 */
export function normalisedName(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toUpperCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

const invalid = (errors: { path: string; message: string }[]) => new AppError('validation_failed', 'the request is not valid', { errors });

/** The account as stored, refused unless it is in the learner's own name and fits their country. */
export function payeeAccountOf(learner: { fullName: string; country: string }, input: PayeeAccountInput): StoredPayeeAccount {
  if (normalisedName(input.accountName) !== normalisedName(learner.fullName)) {
    throw invalid([{ path: 'body.accountName', message: 'must be the learner\'s own registered name: incentives are paid only to an account in their name' }]);
  }
  if (input.kind === 'bank') {
    const payment = { accountName: input.accountName, ...input.bank } as BankAccount;
    const errors = bankAccountCountryErrors(learner.country, payment).map((e) => ({ path: `body.bank.${e.path}`, message: e.message }));
    if (errors.length > 0) throw invalid(errors);
    return { payment };
  }
  const wallet = ewalletProviders[input.ewallet.provider];
  if (wallet.country !== learner.country) {
    throw invalid([{ path: 'body.ewallet.provider', message: `${wallet.name} serves ${wallet.country}; the learner is registered in ${learner.country}` }]);
  }
  return { payment: { accountName: input.accountName, bankCode: wallet.clearingCode, accountNumber: input.ewallet.accountId }, ewallet: { ...input.ewallet } };
}

const masked = (a: StoredPayeeAccount) =>
  a.ewallet ? `${ewalletProviders[a.ewallet.provider].name} ending ${a.ewallet.accountId.slice(-4)}` : maskBankAccount(a.payment);

export function payeeAccountView(row: PayeeAccountRow) {
  return {
    id: row.id, kind: row.kind, accountName: (row.account as StoredPayeeAccount).payment.accountName, masked: row.masked, status: row.status,
    createdAt: row.createdAt.toISOString(), activatedAt: row.activatedAt?.toISOString() ?? null,
  };
}

/**
 * Registers where a learner's incentives are paid. The learner's own first
 * account is in force at once: it redirects nothing, and the name check
 * makes it theirs (the bank or e-wallet has KYC'd its holder). Anything
 * else is only proposed, and the current account (if any) stays in force
 * until a second person (a finance officer or administrator other than the
 * proposer) approves it: a change of account is the classic fraud, and so
 * is an officer registering a first account that they control.
 */
export async function registerPayeeAccount(
  deps: ServiceDeps, db: Db | Tx, learnerId: string, input: PayeeAccountInput, acting: Acting,
): Promise<PayeeAccountState> {
  return inTransaction(db, async (tx) => {
    const learner = await lockLearnerRow(tx, learnerId);
    if (!learner) throw notFound('learner');
    const account = payeeAccountOf(learner, input);
    const now = deps.clock.now();
    const current = await payeeAccountsOf(tx, learnerId);
    const row = { id: newId(), learnerId, kind: input.kind, account, masked: masked(account), createdAt: now, createdBy: acting.actor.subject };
    if (!current.active && !current.proposed && byTheLearner(acting)) {
      const active = await insertPayeeAccount(tx, { ...row, status: 'active', activatedAt: now, activatedBy: acting.actor.subject });
      await recordAudit(tx, { ...acting, action: 'learner.payee_registered', entityType: 'learner', entityId: learnerId, at: now, details: { payeeAccountId: active.id, kind: input.kind } });
      return { active, proposed: undefined, approval: undefined };
    }
    if (current.proposed) {
      throw new AppError('conflict', 'a change of payee account is already waiting for approval', {
        approvalId: (await latestProposalOf(tx, LEARNER_PAYEE_CHANGE, learnerId))?.id,
      });
    }
    const proposed = await insertPayeeAccount(tx, { ...row, status: 'proposed' });
    const approval = await propose(deps, tx, {
      kind: LEARNER_PAYEE_CHANGE, subjectType: 'learner', subjectId: learnerId, payload: { payeeAccountId: proposed.id },
      summary: current.active
        ? `change learner ${learnerId}'s payee account (${current.active.kind} -> ${input.kind}); check it is held in the learner's name`
        : `register learner ${learnerId}'s first payee account (${input.kind}) for them; check it is held in the learner's name`,
    }, acting);
    return { active: current.active, proposed, approval };
  });
}

/** Only a citizen acts as the learner (the route gives them their own learner only); any other caller is an officer. */
const byTheLearner = (acting: Acting) => acting.actor.role === 'citizen';

export interface PayeeAccountState {
  active: PayeeAccountRow | undefined;
  proposed: PayeeAccountRow | undefined;
  approval: ApprovalRow | undefined;
}

export async function payeeAccountState(db: Db | Tx, learnerId: string): Promise<PayeeAccountState> {
  const current = await payeeAccountsOf(db, learnerId);
  const approval = current.proposed ? await latestProposalOf(db, LEARNER_PAYEE_CHANGE, learnerId) : undefined;
  return { ...current, approval };
}

async function proposedAccount(tx: Tx, approval: ApprovalRow): Promise<PayeeAccountRow> {
  const id = (approval.payload as { payeeAccountId?: string }).payeeAccountId;
  const row = id ? await findPayeeAccount(tx, id) : undefined;
  if (!row || row.status !== 'proposed') throw new AppError('invalid_state', 'the proposed payee account is no longer waiting for approval');
  return row;
}

async function applyPayeeChange(deps: ServiceDeps, tx: Tx, approval: ApprovalRow, acting: Acting) {
  const learner = await lockLearnerRow(tx, approval.subjectId);
  if (!learner) throw notFound('learner');
  const proposed = await proposedAccount(tx, approval);
  // The learner's name may have been corrected since the proposal: the account must still be in it.
  if (normalisedName((proposed.account as StoredPayeeAccount).payment.accountName) !== normalisedName(learner.fullName)) {
    throw new AppError('rule_violation', 'the proposed account is not in the learner\'s registered name any more: reject it');
  }
  const now = deps.clock.now();
  const { active } = await payeeAccountsOf(tx, learner.id);
  if (active) await setPayeeStatus(tx, active.id, { status: 'superseded' });
  await setPayeeStatus(tx, proposed.id, { status: 'active', activatedAt: now, activatedBy: acting.actor.subject });
  await recordAudit(tx, {
    ...acting, action: 'learner.payee_changed', entityType: 'learner', entityId: learner.id, at: now,
    details: { proposedBy: approval.proposedBy, approvedBy: acting.actor.subject, from: active?.id ?? null, to: proposed.id },
  });
  return { learnerId: learner.id, payeeAccountId: proposed.id, masked: proposed.masked };
}

async function rejectPayeeChange(_deps: ServiceDeps, tx: Tx, approval: ApprovalRow) {
  await setPayeeStatus(tx, (await proposedAccount(tx, approval)).id, { status: 'rejected' });
}

export const learnerPayeeChange: ApprovalKind = { kind: LEARNER_PAYEE_CHANGE, approverRoles: ['finance', 'admin'], execute: applyPayeeChange, reject: rejectPayeeChange };
