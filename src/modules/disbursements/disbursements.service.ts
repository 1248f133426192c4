import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client.js';
import { disbursementBatches, paymentLineClaims, paymentLineIncentives, paymentLines, recoverySettlements } from '../../db/schema/index.js';
import { inTransaction } from '../../db/transaction.js';
import { AppError, notFound } from '../../lib/app-error.js';
import { ensureSystemAccount } from '../../ledger/system-accounts.js';
import { newId } from '../../lib/ids.js';
import type { Currency } from '../../lib/money.js';
import type { ApprovalKind } from '../approvals/approvals.service.js';
import { latestProposalOf, propose } from '../approvals/approvals.service.js';
import type { ApprovalRow } from '../approvals/approvals.repo.js';
import { recordAudit } from '../audit/audit.repo.js';
import type { ServiceDeps } from '../deps.js';
import type { Acting } from '../acting.js';
import { readsOfLearners, recordStaffReads, type StaffReader } from '../data-rights/staff-reads.js';
import { findProvider } from '../providers/providers.repo.js';
import { ensureProviderPayable } from '../providers/providers.service.js';
import { deductionOf, planNetting } from '../recoveries/netting.js';
import { ensureProviderReceivable, nettingsOfLines, outstandingRecoveries, providersOwedRepayment } from '../recoveries/recoveries.repo.js';
import { ensureLearnerPayable } from '../incentives/incentives.service.js';
import { freeIncentivesOfBatch, incentiveLinesFor, type LearnerLine } from '../incentives/incentive-lines.js';
import { paymentFileOf, paymentFileProblems } from './batch-file.js';
import { recordPaymentsFinal } from './payment-events.js';
import { findBatch, linesByIds, linesOf, listBatches, liveLinesOfClaims, payableClaims, type BatchRow, type PaymentLineRow } from './disbursements.repo.js';

export type { BatchRow, PaymentLineRow };

/** A reference of at most 35 characters that the bank echoes back: the line's id without dashes. */
export const endToEndIdOf = (lineId: string) => `LC${lineId.replace(/-/g, '')}`;

/** A learner incentive line's reference: its own prefix, so bank and finance tell it from a provider's. */
export const incentiveEndToEndIdOf = (lineId: string) => `LI${lineId.replace(/-/g, '')}`;

export const BATCH_RELEASE = 'disbursement_batch.release';

export interface ExcludedLine {
  providerId?: string;
  learnerId?: string;
  claims: number;
  incentives?: number;
  amount: string;
  reason: string;
  problems: string[];
}

/**
 * One officer proposes a batch: every approved, unpaid claim up to the
 * cut-off, one payment line per provider. The claims are set aside for it,
 * but no money moves and no payment file exists until a second officer
 * releases it. A line whose payment file could not be written is left out,
 * with its reason; the rest goes.
 */
export async function proposeDisbursementBatch(
  deps: ServiceDeps,
  db: Db | Tx,
  input: { currency: Currency; cutOff: Date; schemeId?: string | undefined; requestedExecutionDate?: string | undefined },
  acting: Acting,
): Promise<{ batch: BatchRow; approval: ApprovalRow }> {
  return inTransaction(db, async (tx) => {
    const now = deps.clock.now();
    if (input.cutOff > now) {
      throw new AppError('validation_failed', 'the request is not valid', { errors: [{ path: 'body.cutOff', message: 'must not be in the future' }] });
    }
    const claimsToPay = await payableClaims(tx, input);
    const byProvider = new Map<string, typeof claimsToPay>();
    for (const c of claimsToPay) byProvider.set(c.providerId, [...(byProvider.get(c.providerId) ?? []), c]);
    // A provider the service owes a repayment gets its line even with no claim to pay.
    for (const p of await providersOwedRepayment(tx, input.currency, input.schemeId)) if (!byProvider.has(p)) byProvider.set(p, []);
    const learnerLines = await incentiveLinesFor(tx, input);
    if (byProvider.size === 0 && learnerLines.length === 0) throw new AppError('rule_violation', 'no approved, unpaid claims or accrued incentives up to the cut-off');

    const batchId = newId();
    const header = { messageId: `LCB${batchId.replace(/-/g, '')}`, createdAt: now, requestedExecutionDate: input.requestedExecutionDate ?? now.toISOString().slice(0, 10), currency: input.currency };
    const lines = [];
    const excluded: ExcludedLine[] = [];
    for (const [providerId, list] of byProvider) {
      const provider = (await findProvider(tx, providerId))!;
      const id = newId();
      const claimsTotal = list.reduce((s, c) => s + c.amount, 0n);
      const nettings = planNetting(await outstandingRecoveries(tx, providerId, input.currency), claimsTotal);
      const deducted = deductionOf(nettings);
      const line = {
        id, batchId, payeeKind: 'provider' as const, providerId, learnerId: null, endToEndId: endToEndIdOf(id), amount: claimsTotal - deducted, claimsTotal, deducted,
        currency: input.currency, creditorName: provider.legalName, creditorAccount: provider.bankAccount, transferId: newId(), status: 'proposed' as const,
        claims: list, nettings, incentives: [] as LearnerLine['incentives'],
      };
      // A line netted to nothing pays nothing: it never reaches the bank, so no file rule applies to it.
      const problems = line.amount === 0n ? [] : paymentFileProblems(paymentFileOf(deps, header, [line]));
      if (problems.length > 0) {
        excluded.push({ providerId, claims: list.length, amount: line.amount.toString(), reason: 'payment_file_invalid', problems });
      } else {
        lines.push(line);
      }
    }
    for (const l of learnerLines) {
      const id = newId();
      const line = {
        id, batchId, payeeKind: 'learner' as const, providerId: null, learnerId: l.learnerId, endToEndId: incentiveEndToEndIdOf(id), amount: l.amount, claimsTotal: l.amount,
        deducted: 0n, currency: input.currency, creditorName: l.account.accountName, creditorAccount: l.account, transferId: newId(), status: 'proposed' as const,
        claims: [] as typeof claimsToPay, nettings: [] as ReturnType<typeof planNetting>, incentives: l.incentives,
      };
      const problems = paymentFileProblems(paymentFileOf(deps, header, [line]));
      if (problems.length > 0) {
        excluded.push({ learnerId: l.learnerId, claims: 0, incentives: l.incentives.length, amount: l.amount.toString(), reason: 'payment_file_invalid', problems });
      } else {
        lines.push(line);
      }
    }
    if (lines.length === 0) {
      throw new AppError('rule_violation', 'no payment line could be written to a payment file', { excluded });
    }
    const toBank = lines.filter((l) => l.amount > 0n);
    const fileProblems = toBank.length === 0 ? [] : paymentFileProblems(paymentFileOf(deps, header, toBank));
    if (fileProblems.length > 0) throw new AppError('rule_violation', `the payment file cannot be written: ${fileProblems.join('; ')}`);

    const controlSum = lines.reduce((s, l) => s + l.amount, 0n);
    const [batch] = await tx
      .insert(disbursementBatches)
      .values({
        id: batchId, schemeId: input.schemeId ?? null, currency: input.currency, cutOff: input.cutOff, messageId: header.messageId,
        status: 'proposed', lineCount: lines.length, controlSum, requestedExecutionDate: header.requestedExecutionDate,
        createdAt: now, createdBy: acting.actor.subject, excluded,
      })
      .returning();
    await tx.insert(paymentLines).values(lines.map(({ claims: _claims, nettings: _nettings, incentives: _incentives, ...l }) => l));
    const lineClaims = lines.flatMap((l) => l.claims.map((c) => ({ lineId: l.id, claimId: c.id, amount: c.amount })));
    if (lineClaims.length > 0) await tx.insert(paymentLineClaims).values(lineClaims);
    const lineIncentives = lines.flatMap((l) => l.incentives.map((i) => ({ lineId: l.id, incentiveId: i.id, amount: i.amount })));
    if (lineIncentives.length > 0) await tx.insert(paymentLineIncentives).values(lineIncentives);
    const nettings = lines.flatMap((l) => l.nettings.map((n) => ({
      id: newId(), recoveryId: n.recoveryId, kind: n.kind, amount: n.amount, paymentLineId: l.id, transferId: newId(), createdAt: now,
    })));
    if (nettings.length > 0) await tx.insert(recoverySettlements).values(nettings);
    const deducted = lines.reduce((s, l) => s + l.deducted, 0n);
    const details = { lines: lines.length, claims: lines.reduce((n, l) => n + l.claims.length, 0), incentives: lineIncentives.length, controlSum: controlSum.toString(), deducted: deducted.toString(), currency: input.currency, excluded };
    await recordAudit(tx, { ...acting, action: 'disbursement_batch.proposed', entityType: 'disbursement_batch', entityId: batchId, at: now, details });
    const approval = await propose(deps, tx, {
      kind: BATCH_RELEASE, subjectType: 'disbursement_batch', subjectId: batchId, payload: { batchId, controlSum: controlSum.toString(), currency: input.currency, lines: lines.length },
      summary: `release ${input.currency} batch ${header.messageId}: ${lines.length} line(s), control sum ${controlSum} minor units`,
    }, acting);
    return { batch: batch!, approval };
  });
}

async function lockProposedBatch(tx: Tx, batchId: string): Promise<BatchRow> {
  const [batch] = await tx.select().from(disbursementBatches).where(eq(disbursementBatches.id, batchId)).for('update');
  if (!batch) throw notFound('disbursement batch');
  if (batch.status !== 'proposed') throw new AppError('invalid_state', `the batch is ${batch.status}, not proposed`);
  return batch;
}

/**
 * The second officer releases the batch: its file content is checked again
 * (no provider suspended, every learner still paid to their account in force),
 * then each line becomes a pending transfer from the provider's payable to
 * bank clearing. The bank statement later posts or voids it.
 */
async function releaseBatch(deps: ServiceDeps, tx: Tx, approval: ApprovalRow, acting: Acting) {
  const batch = await lockProposedBatch(tx, approval.subjectId);
  const lines = await linesOf(tx, batch.id);
  const suspended = (await tx.execute<{ id: string; legal_name: string }>(sql`
    select p.id, p.legal_name from providers p where p.status <> 'active' and p.id = any(${sql.param(lines.flatMap((l) => (l.providerId ? [l.providerId] : [])))}::uuid[])`)).rows;
  if (suspended.length > 0) {
    throw new AppError('invalid_state', `provider(s) suspended since the batch was proposed: ${suspended.map((p) => p.legal_name).join(', ')}; reject this batch and propose a new one`, {
      reasons: ['provider_suspended'],
    });
  }
  // A learner line pays the account in force when the batch was proposed; a change approved since must not be bypassed.
  const movedPayees = (await tx.execute<{ learner_id: string }>(sql`
    select l.learner_id from payment_lines l
     where l.batch_id = ${batch.id} and l.payee_kind = 'learner'
       and not exists (select 1 from learner_payee_accounts a where a.learner_id = l.learner_id and a.status = 'active' and a.account->'payment' = l.creditor_account)`)).rows;
  if (movedPayees.length > 0) {
    throw new AppError('invalid_state', `${movedPayees.length} learner(s) no longer have the payee account their line pays; reject this batch and propose a new one`, {
      reasons: ['payee_account_changed'],
    });
  }
  const toBank = lines.filter((l) => l.amount > 0n);
  const problems = toBank.length === 0 ? [] : paymentFileProblems(paymentFileOf(deps, batch, toBank));
  if (problems.length > 0) throw new AppError('rule_violation', `the payment file cannot be written: ${problems.join('; ')}`);
  const currency = batch.currency as Currency;
  const now = deps.clock.now();
  const clearing = await ensureSystemAccount(tx, deps.ledger, 'bank_clearing', currency);
  const nettings = await nettingsOfLines(tx, lines.map((l) => l.id));
  const transfers = [];
  for (const l of lines) {
    if (l.payeeKind === 'learner') {
      const payable = await ensureLearnerPayable(tx, deps.ledger, l.learnerId!, currency);
      transfers.push({ id: l.transferId, kind: 'pending' as const, debitAccountId: payable, creditAccountId: clearing, amount: l.amount, code: 'incentive_disbursement', referenceId: l.id });
      continue;
    }
    const providerId = l.providerId!;
    const payable = await ensureProviderPayable(tx, deps.ledger, providerId, currency);
    // What the bank pays and what the provider's debt absorbs move together: settled or returned as one.
    const kind = l.amount > 0n ? ('pending' as const) : ('posted' as const);
    if (l.amount > 0n) transfers.push({ id: l.transferId, kind, debitAccountId: payable, creditAccountId: clearing, amount: l.amount, code: 'disbursement', referenceId: l.id });
    const lineNettings = nettings.filter((n) => n.paymentLineId === l.id);
    if (lineNettings.length > 0) {
      const receivable = await ensureProviderReceivable(tx, deps.ledger, providerId, currency);
      for (const n of lineNettings) {
        // A netting moves what the provider owes out of its payable; a repayment moves what it is owed into it.
        // A repayment is posted at once: the payable then holds exactly what the line pays out; a bank return reverses it.
        if (n.kind === 'repayment') {
          transfers.push({ id: n.transferId, kind: 'posted' as const, debitAccountId: receivable, creditAccountId: payable, amount: n.amount, code: 'recovery_repayment', referenceId: l.id });
        } else {
          transfers.push({ id: n.transferId, kind, debitAccountId: payable, creditAccountId: receivable, amount: n.amount, code: 'recovery_netting', referenceId: l.id });
        }
      }
    }
  }
  await deps.ledger.commit(tx, transfers);
  await tx.update(paymentLines).set({ status: 'pending' }).where(and(eq(paymentLines.batchId, batch.id), sql`${paymentLines.amount} > 0`));
  const netted = lines.filter((l) => l.amount === 0n).map((l) => l.id);
  if (netted.length > 0) {
    // Nothing goes to the bank: the provider's debt absorbed the whole line, so its claims are paid now.
    await tx.update(paymentLines).set({ status: 'netted', settledAt: now }).where(sql`${paymentLines.id} = any(${sql.param(netted)}::uuid[])`);
    await tx.execute(sql`
      update claims c set status = 'paid', paid_at = ${now.toISOString()}::timestamptz
        from payment_line_claims plc where plc.claim_id = c.id and plc.live = 1 and plc.line_id = any(${sql.param(netted)}::uuid[]) and c.status = 'approved'`);
    await recordPaymentsFinal(tx, netted, now);
  }
  const [released] = await tx
    .update(disbursementBatches)
    .set({ status: toBank.length === 0 ? 'settled' : 'submitted', releasedAt: now, releasedBy: acting.actor.subject })
    .where(eq(disbursementBatches.id, batch.id))
    .returning();
  await recordAudit(tx, {
    ...acting, action: 'disbursement_batch.released', entityType: 'disbursement_batch', entityId: batch.id, at: now,
    details: {
      proposedBy: approval.proposedBy, releasedBy: acting.actor.subject, lines: lines.length, controlSum: batch.controlSum.toString(), currency,
      deducted: lines.reduce((s, l) => s + l.deducted, 0n).toString(),
    },
  });
  return { batchId: released!.id, status: released!.status };
}

/** A rejected proposal frees its claims for the next batch. */
async function rejectBatch(deps: ServiceDeps, tx: Tx, approval: ApprovalRow, acting: Acting) {
  const batch = await lockProposedBatch(tx, approval.subjectId);
  await tx.execute(sql`update payment_line_claims set live = 0 where line_id in (select id from payment_lines where batch_id = ${batch.id})`);
  await freeIncentivesOfBatch(tx, batch.id);
  await tx.execute(sql`update recovery_settlements set live = 0 where payment_line_id in (select id from payment_lines where batch_id = ${batch.id})`);
  await tx.update(paymentLines).set({ status: 'cancelled' }).where(eq(paymentLines.batchId, batch.id));
  await tx.update(disbursementBatches).set({ status: 'rejected' }).where(eq(disbursementBatches.id, batch.id));
  await recordAudit(tx, {
    ...acting, action: 'disbursement_batch.rejected', entityType: 'disbursement_batch', entityId: batch.id, at: deps.clock.now(),
    details: { proposedBy: approval.proposedBy, rejectedBy: acting.actor.subject, note: approval.decisionNote },
  });
}

export const batchRelease: ApprovalKind = { kind: BATCH_RELEASE, approverRoles: ['finance'], execute: releaseBatch, reject: rejectBatch };

/** Why staff see the names learners are paid to: the staff-read log's purposes. */
const BATCH_REVIEW_PURPOSE = 'reviewing a disbursement batch that pays the learner an incentive';
const PAYMENT_FILE_PURPOSE = 'sending the bank the payment file that pays the learner an incentive';

/** Each learner a shown line pays is a staff read of their name (and, in a payment file, their account). */
async function recordPayeeReads(deps: ServiceDeps, db: Db | Tx, lines: PaymentLineRow[], reader: StaffReader, purpose: string) {
  const learners = lines.filter((l) => l.payeeKind === 'learner').map((l) => l.learnerId);
  await recordStaffReads(db, reader.acting, readsOfLearners(learners, { operation: reader.operation, purpose, at: deps.clock.now() }));
}

/** The payment file of a released batch; none exists before the second officer releases it. */
export async function releasedBatchFile(deps: ServiceDeps, db: Db | Tx, batchId: string, reader: StaffReader) {
  const batch = await findBatch(db, batchId);
  if (!batch) throw notFound('disbursement batch');
  if (batch.status === 'proposed') throw new AppError('invalid_state', 'the batch is waiting for a second finance officer to release it: no payment file exists yet');
  if (batch.status === 'rejected') throw new AppError('invalid_state', 'the batch was rejected: it has no payment file');
  const lines = (await linesOf(db, batch.id)).filter((l) => l.amount > 0n);
  if (lines.length === 0) throw new AppError('invalid_state', 'every line of this batch was netted against what its provider owed: nothing goes to the bank, so there is no payment file');
  await recordPayeeReads(deps, db, lines, reader, PAYMENT_FILE_PURPOSE);
  return { batch, file: paymentFileOf(deps, batch, lines) };
}

/** A batch's payment lines as staff see them, with who they pay: the one load of lines for viewing. */
export async function batchLines(deps: ServiceDeps, db: Db | Tx, batchId: string, reader: StaffReader): Promise<PaymentLineRow[]> {
  const lines = await linesOf(db, batchId);
  await recordPayeeReads(deps, db, lines, reader, BATCH_REVIEW_PURPOSE);
  return lines;
}

/** A batch with its payment lines and the latest proposal to release it. */
export async function getBatch(deps: ServiceDeps, db: Db | Tx, batchId: string, reader: StaffReader) {
  const batch = await findBatch(db, batchId);
  if (!batch) throw notFound('disbursement batch');
  return { batch, lines: await batchLines(deps, db, batch.id, reader), approval: await latestProposalOf(db, BATCH_RELEASE, batch.id) };
}

/** The newest batches first. */
export const recentBatches = (db: Db | Tx, limit: number) => listBatches(db, limit);

/** How each claim is being paid: its live payment line's batch and bank reference, by claim id. */
export async function paymentsOfClaims(db: Db | Tx, claimIds: string[]) {
  return new Map((await liveLinesOfClaims(db, claimIds)).map((l) => [l.claimId, l]));
}

/** Payment lines by id, with their bank reference (endToEndId). */
export async function paymentLinesById(db: Db | Tx, lineIds: string[]) {
  return new Map((await linesByIds(db, [...new Set(lineIds)])).map((l) => [l.id, l]));
}
