import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/client.js';
import { recoverySettlements } from '../../db/schema/index.js';
import { ensureSystemAccount } from '../../ledger/system-accounts.js';
import { newId } from '../../lib/ids.js';
import type { Currency } from '../../lib/money.js';
import type { ServiceDeps } from '../deps.js';
import type { KnownRecovery } from '../reconciliation/classify-statement.js';
import { ensureProviderPayable } from '../providers/providers.service.js';
import { ensureProviderReceivable, nettingsOfLines, settledSql } from './recoveries.repo.js';

/**
 * How the bank's word reaches recoveries. A netting travels with its payment
 * line: posted when the bank pays the line, undone when the bank returns it.
 */

/** Recoveries by reference, with what is still owed; locked, so a batch being proposed cannot net the same amount. */
export async function recoveriesByReference(tx: Tx, refs: string[]): Promise<Map<string, KnownRecovery>> {
  const out = new Map<string, KnownRecovery>();
  if (refs.length === 0) return out;
  const r = await tx.execute<{ id: string; reference: string; currency: string; outstanding: string }>(sql`
    with r as (select id, reference, currency, amount from recoveries where reference = any(${sql.param(refs)}::text[]) for update)
    select r.id, r.reference, r.currency, (r.amount - ${settledSql(sql`r.id`)})::text outstanding
      from r`);
  for (const x of r.rows) out.set(x.reference, { id: x.id, currency: x.currency, outstanding: BigInt(x.outstanding) });
  return out;
}

/** The bank paid these lines: the nettings they carried are final too. */
export async function settleNettings(deps: ServiceDeps, tx: Tx, paymentLineIds: string[], now: Date): Promise<void> {
  const nettings = (await nettingsOfLines(tx, paymentLineIds)).filter((n) => n.kind === 'netting').map((n) => n.transferId);
  if (nettings.length > 0) await deps.ledger.postPendingInBulk(tx, { pendingIds: nettings, code: 'recovery_netting_settled', at: now });
}

/**
 * The bank returned a line: what it netted is owed again and what it repaid
 * is due again (voided while pending, reversed once settled). A claim on the
 * line that was reversed after payment never reached the provider after all:
 * its recovery is cancelled by the return, in full. Whatever else settled
 * that recovery meanwhile (a refund, a netting) was taken from the provider
 * for nothing, and is repaid on its next line.
 */
export async function undoNettings(deps: ServiceDeps, tx: Tx, line: { id: string }, now: Date): Promise<void> {
  const nettings = await nettingsOfLines(tx, [line.id]);
  if (nettings.length > 0) {
    const transfers = await deps.ledger.transfers(tx, nettings.map((n) => n.transferId));
    // Still pending with the line: voided. Already final (a settled line's netting, any repayment): reversed.
    await deps.ledger.commit(tx, [...transfers.values()].map((t) => t.kind === 'pending' && t.state === 'pending'
      ? { id: newId(), kind: 'void_pending' as const, pendingId: t.id, code: 'recovery_netting_returned', referenceId: line.id }
      : { id: newId(), kind: 'posted' as const, debitAccountId: t.creditAccountId, creditAccountId: t.debitAccountId, amount: t.amount, code: 'recovery_netting_returned', referenceId: line.id }));
    await tx.execute(sql`update recovery_settlements set live = 0 where payment_line_id = ${line.id} and kind in ('netting', 'repayment')`);
  }
  const reversedOnLine = await tx.execute<{ recovery_id: string; provider_id: string; currency: string; amount: string }>(sql`
    select r.id recovery_id, r.provider_id, r.currency, plc.amount::text
      from payment_line_claims plc join claims c on c.id = plc.claim_id and c.status = 'reversed'
      join recoveries r on r.claim_id = c.id
     where plc.line_id = ${line.id} and plc.live = 1
     for update of r`);
  for (const x of reversedOnLine.rows) {
    const amount = BigInt(x.amount);
    const currency = x.currency as Currency;
    const transferId = newId();
    await deps.ledger.commit(tx, [{
      id: transferId, kind: 'posted', debitAccountId: await ensureProviderPayable(tx, deps.ledger, x.provider_id, currency),
      creditAccountId: await ensureProviderReceivable(tx, deps.ledger, x.provider_id, currency), amount, code: 'recovery_cancelled_by_return', referenceId: line.id,
    }]);
    await tx.insert(recoverySettlements).values({ id: newId(), recoveryId: x.recovery_id, kind: 'return', amount, paymentLineId: null, transferId, createdAt: now });
  }
}

/** A provider's refund arrived in the treasury's account: it settles that much of the recovery. */
export async function recordRefunds(
  deps: ServiceDeps, tx: Tx, refunds: { recoveryId: string; amount: bigint; currency: string; statementLineId: string }[], now: Date,
): Promise<void> {
  for (const r of refunds) {
    const owner = (await tx.execute<{ provider_id: string }>(sql`select provider_id from recoveries where id = ${r.recoveryId}`)).rows[0]!;
    const currency = r.currency as Currency;
    const transferId = newId();
    await deps.ledger.commit(tx, [{
      id: transferId, kind: 'posted', debitAccountId: await ensureSystemAccount(tx, deps.ledger, 'bank_clearing', currency),
      creditAccountId: await ensureProviderReceivable(tx, deps.ledger, owner.provider_id, currency), amount: r.amount, code: 'recovery_refund', referenceId: r.recoveryId,
    }]);
    await tx.insert(recoverySettlements).values({
      id: newId(), recoveryId: r.recoveryId, kind: 'refund', amount: r.amount, statementLineId: r.statementLineId, transferId, createdAt: now,
    });
  }
}
