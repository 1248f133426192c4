import type { z } from 'zod';
import type { Tx } from '../../db/client.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import type { ApprovalRow } from '../approvals/approvals.repo.js';
import { propose, type ApprovalKind } from '../approvals/approvals.service.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import type { Acting } from '../acting.js';
import { bankAccountCountryErrors, maskBankAccount, payeeNameErrors, type BankAccount } from './bank-account.js';
import { findProvider, updateProvider, type ProviderRow } from './providers.repo.js';
import type { payeeChangeSchema } from './providers.schemas.js';

export const PAYEE_CHANGE = 'provider.payee_change';

export type PayeeChange = z.output<typeof payeeChangeSchema>;

/** The new payee must fit the provider's country and, name and account together, the payment-file rules. */
function refuseUnfitPayee(provider: ProviderRow, change: PayeeChange): void {
  const account = (change.bankAccount ?? provider.bankAccount) as BankAccount;
  const errors = [
    ...(change.bankAccount ? bankAccountCountryErrors(provider.country, change.bankAccount).map((e) => ({ path: `body.bankAccount.${e.path}`, message: e.message })) : []),
    ...payeeNameErrors(change.legalName ?? provider.legalName, account).map((e) => ({
      path: change.legalName !== undefined ? 'body.legalName' : 'body.bankAccount.accountName', message: e.message,
    })),
  ];
  if (errors.length > 0) throw new AppError('validation_failed', 'the request is not valid', { errors });
}

const describe = (provider: ProviderRow, change: PayeeChange) =>
  [
    change.legalName !== undefined ? `name "${provider.legalName}" -> "${change.legalName}"` : undefined,
    change.bankAccount ? `${maskBankAccount(provider.bankAccount as BankAccount)} -> ${maskBankAccount(change.bankAccount)}` : undefined,
  ].filter(Boolean).join(', ');

/**
 * One administrator proposes a new payee (name, bank account, or both);
 * the old one stays in force until a second administrator approves it.
 * Redirecting a provider's payments is the classic fraud.
 */
export async function proposePayeeChange(deps: ServiceDeps, db: Tx | ServiceDeps['database']['db'], providerId: string, change: PayeeChange, acting: Acting): Promise<ApprovalRow> {
  return inTransaction(db, async (tx) => {
    const provider = await findProvider(tx, providerId, { forUpdate: true });
    if (!provider) throw notFound('provider');
    refuseUnfitPayee(provider, change);
    return propose(deps, tx, {
      kind: PAYEE_CHANGE, subjectType: 'provider', subjectId: providerId, payload: { ...change },
      summary: `change the payee of ${provider.legalName}: ${describe(provider, change)} (${change.reason})`,
    }, acting);
  });
}

async function applyPayeeChange(deps: ServiceDeps, tx: Tx, approval: ApprovalRow, acting: Acting) {
  const before = await findProvider(tx, approval.subjectId, { forUpdate: true });
  if (!before) throw notFound('provider');
  const change = approval.payload as unknown as PayeeChange;
  refuseUnfitPayee(before, change);
  const now = deps.clock.now();
  const after = await updateProvider(tx, before.id, { legalName: change.legalName, bankAccount: change.bankAccount, updatedAt: now });
  await recordAudit(tx, {
    ...acting, action: 'provider.payee_changed', entityType: 'provider', entityId: before.id, at: now,
    details: {
      proposedBy: approval.proposedBy, approvedBy: acting.actor.subject, reason: change.reason,
      ...(change.legalName !== undefined ? { legalName: { from: before.legalName, to: after.legalName } } : {}),
      ...(change.bankAccount ? { bankAccount: { from: maskBankAccount(before.bankAccount as BankAccount), to: maskBankAccount(change.bankAccount) } } : {}),
    },
  });
  return { providerId: after.id, legalName: after.legalName, bankAccount: maskBankAccount(after.bankAccount as BankAccount) };
}

export const payeeChange: ApprovalKind = { kind: PAYEE_CHANGE, approverRoles: ['admin'], execute: applyPayeeChange };
