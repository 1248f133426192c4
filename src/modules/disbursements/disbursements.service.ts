import type { Db, Tx } from '../../db/client.js';
import { disbursementBatches, paymentLineClaims, paymentLines } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError } from '../../http/problem.js';
import { ensureSystemAccount } from '../../ledger/system-accounts.js';
import { newId } from '../../lib/ids.js';
import type { Currency } from '../../lib/money.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import type { Acting } from '../enrolments/enrolments.service.js';
import { findProvider } from '../providers/providers.repo.js';
import { ensureProviderPayable } from '../providers/providers.service.js';
import { payableClaims } from './disbursements.repo.js';

/** A reference of at most 35 characters that the bank echoes back: the line's id without dashes. */
export const endToEndIdOf = (lineId: string) => `LC${lineId.replace(/-/g, '')}`;

/**
 * Every approved, unpaid claim up to the cut-off, one payment line per
 * provider. Submitting moves each line's amount from the provider's payable
 * to bank clearing as a pending transfer; the bank statement posts or voids it.
 */
export async function createDisbursementBatch(
  deps: ServiceDeps,
  db: Db | Tx,
  input: { currency: Currency; cutOff: Date; schemeId?: string | undefined; requestedExecutionDate?: string | undefined },
  acting: Acting,
) {
  return inTransaction(db, async (tx) => {
    const now = deps.clock.now();
    if (input.cutOff > now) {
      throw new AppError('validation_failed', 'the request is not valid', { errors: [{ path: 'body.cutOff', message: 'must not be in the future' }] });
    }
    const claimsToPay = await payableClaims(tx, input);
    if (claimsToPay.length === 0) throw new AppError('rule_violation', 'no approved, unpaid claims up to the cut-off');
    const byProvider = new Map<string, typeof claimsToPay>();
    for (const c of claimsToPay) byProvider.set(c.providerId, [...(byProvider.get(c.providerId) ?? []), c]);

    const batchId = newId();
    const clearing = await ensureSystemAccount(tx, deps.ledger, 'bank_clearing', input.currency);
    const lines = [];
    for (const [providerId, list] of byProvider) {
      const provider = (await findProvider(tx, providerId))!;
      const id = newId();
      lines.push({
        id, providerId, list, amount: list.reduce((s, c) => s + c.amount, 0n), transferId: newId(),
        payable: await ensureProviderPayable(tx, deps.ledger, providerId, input.currency), name: provider.legalName, account: provider.bankAccount,
      });
    }
    await deps.ledger.commit(
      tx,
      lines.map((l) => ({ id: l.transferId, kind: 'pending' as const, debitAccountId: l.payable, creditAccountId: clearing, amount: l.amount, code: 'disbursement', referenceId: l.id })),
    );
    const controlSum = lines.reduce((s, l) => s + l.amount, 0n);
    const [batch] = await tx
      .insert(disbursementBatches)
      .values({
        id: batchId, schemeId: input.schemeId ?? null, currency: input.currency, cutOff: input.cutOff, messageId: `LCB${batchId.replace(/-/g, '')}`,
        status: 'submitted', lineCount: lines.length, controlSum, requestedExecutionDate: input.requestedExecutionDate ?? now.toISOString().slice(0, 10),
        createdAt: now, createdBy: acting.actor.subject,
      })
      .returning();
    await tx.insert(paymentLines).values(
      lines.map((l) => ({
        id: l.id, batchId, providerId: l.providerId, endToEndId: endToEndIdOf(l.id), amount: l.amount, currency: input.currency,
        creditorName: l.name, creditorAccount: l.account, transferId: l.transferId, status: 'pending' as const,
      })),
    );
    await tx.insert(paymentLineClaims).values(lines.flatMap((l) => l.list.map((c) => ({ lineId: l.id, claimId: c.id, amount: c.amount }))));
    await recordAudit(tx, {
      ...acting, action: 'disbursement_batch.submitted', entityType: 'disbursement_batch', entityId: batchId, at: now,
      details: { lines: lines.length, claims: claimsToPay.length, controlSum: controlSum.toString(), currency: input.currency },
    });
    return batch!;
  });
}
