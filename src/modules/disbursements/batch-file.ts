import { toDecimalString, type Currency } from '../../lib/money.js';
import { policyOf, type ServiceDeps } from '../deps.js';
import type { BatchRow, PaymentLineRow } from './disbursements.repo.js';
import { batchProblems, PaymentFileError, type PaymentFileBatch } from './payment-file.js';

type LineContent = Pick<PaymentLineRow, 'endToEndId' | 'amount' | 'claimsTotal' | 'deducted' | 'creditorName' | 'creditorAccount'> & { payeeKind?: PaymentLineRow['payeeKind'] };

/** What the payee reads on its bank statement; a deduction for money it owes back, or a repayment of money it over-paid, is spelled out. */
function remittanceOf(l: LineContent, currency: Currency, messageId: string): string {
  if (l.payeeKind === 'learner') return `Learning Credits completion incentive, batch ${messageId}`;
  if (l.deducted === 0n) return `Learning Credits claims, batch ${messageId}`;
  const d = (v: bigint) => `${currency} ${toDecimalString(v, currency)}`;
  if (l.deducted < 0n) return `Learning Credits claims ${d(l.claimsTotal)} plus repayment ${d(-l.deducted)}, batch ${messageId}`;
  return `Learning Credits claims ${d(l.claimsTotal)} less recovery ${d(l.deducted)}, batch ${messageId}`;
}

/** The payment file's content for a batch: the treasury's configured account pays each line. */
export function paymentFileOf(deps: ServiceDeps, batch: Pick<BatchRow, 'messageId' | 'createdAt' | 'requestedExecutionDate' | 'currency'>, lines: LineContent[]): PaymentFileBatch {
  const debtor = policyOf(deps).treasuryAccounts[batch.currency];
  if (!debtor) throw new PaymentFileError([`debtor: no treasury account is configured for ${batch.currency}`]);
  return {
    messageId: batch.messageId, createdAt: batch.createdAt, requestedExecutionDate: batch.requestedExecutionDate, currency: batch.currency as Currency,
    debtor,
    lines: lines.map((l) => ({
      endToEndId: l.endToEndId, amount: l.amount, creditorName: l.creditorName,
      creditorAccount: l.creditorAccount as PaymentFileBatch['lines'][number]['creditorAccount'],
      remittance: remittanceOf(l, batch.currency as Currency, batch.messageId),
    })),
  };
}

/** Every problem that would stop the bank files being written: checked before any money moves, so a released batch always has its files. */
export const paymentFileProblems = (file: PaymentFileBatch): string[] => batchProblems(file);
