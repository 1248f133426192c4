import type { Currency } from '../../lib/money.js';
import { policyOf, type ServiceDeps } from '../deps.js';
import type { BatchRow, PaymentLineRow } from './disbursements.repo.js';
import { pain001, paymentFileCsv, PaymentFileError, type PaymentFileBatch } from './payment-file.js';

type LineContent = Pick<PaymentLineRow, 'endToEndId' | 'amount' | 'creditorName' | 'creditorAccount'>;

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
      remittance: `Learning Credits claims, batch ${batch.messageId}`,
    })),
  };
}

/**
 * Every problem that would stop the bank files being written, found by
 * writing them: checked before any money moves, so a released batch always
 * has its files.
 */
export function paymentFileProblems(file: PaymentFileBatch): string[] {
  try {
    pain001(file);
    paymentFileCsv(file);
    return [];
  } catch (err) {
    if (err instanceof PaymentFileError) return err.problems;
    throw err;
  }
}
