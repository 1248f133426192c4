import { z } from 'zod';
import { exceptionKinds } from '../../db/schema/finance.js';
import { holdReasonCodes } from '../claims/hold-reasons.js';

const amount = z.string().regex(/^-?\d+$/).meta({ description: 'Integer minor units of the currency, as a string' });
const formatQuery = z.enum(['json', 'csv']).default('json').meta({ description: 'json (default) or csv (text/csv, streamed, with a header row)' });
const asOfQuery = z.iso
  .datetime({ offset: true })
  .optional()
  .meta({ description: 'Report the books as they stood at this instant (default: now). Not in the future.' });

export const asOfFormatQuery = z.strictObject({ asOf: asOfQuery, format: formatQuery });
export const providerStatementParams = z.strictObject({ providerId: z.uuid() });
export const exceptionsQuery = z.strictObject({ status: z.enum(['open', 'resolved']).optional(), format: formatQuery });

export const schemeFiguresSchema = z
  .object({
    schemeId: z.uuid(),
    code: z.string(),
    name: z.string(),
    currency: z.string(),
    allocated: amount,
    granted: amount,
    expired: amount,
    revoked: amount,
    reversed: amount.meta({ description: 'claims reversed after approval: money back to learners, or to the scheme when their grant had closed' }),
    returned: amount.meta({ description: 'expired + revoked + reversed to the scheme: credit back in the budget' }),
    available: amount.meta({ description: 'Budget not yet granted: allocated - granted + returned' }),
    reserved: amount,
    spent: amount,
    spentDisbursed: amount,
    spentAwaitingDisbursement: amount,
    creditWithLearners: amount,
    tiesOut: z.boolean().meta({ description: 'available matches the budget account and granted - returned = reserved + spent + creditWithLearners' }),
  })
  .meta({ id: 'SchemeFigures' });

export const schemeReportSchema = z
  .object({ asOf: z.string(), schemes: z.array(schemeFiguresSchema) })
  .meta({ id: 'SchemeReport' });

const kindFigures = z.object({ debitsPosted: amount, creditsPosted: amount, debitsPending: amount, creditsPending: amount });
export const trialBalanceSchema = z
  .object({
    asOf: z.string(),
    currencies: z.array(
      z.object({
        currency: z.string(),
        accountKinds: z.array(kindFigures.extend({ kind: z.string(), accounts: z.string() })),
        totals: kindFigures,
        balanced: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'TrialBalance' });

export const statementMovementSchema = z.object({
  at: z.string(),
  transferId: z.uuid(),
  kind: z.string(),
  code: z.string(),
  referenceId: z.uuid().nullable(),
  movement: z.string().meta({ description: 'earned, disbursement_submitted, disbursement_settled, disbursement_released, disbursement_returned, other' }),
  debit: amount,
  credit: amount,
  balance: amount.meta({ description: 'Owed after this movement: credits posted - debits posted - debits pending' }),
});

export const providerStatementSchema = z
  .object({
    providerId: z.uuid(),
    asOf: z.string(),
    currencies: z.array(
      z.object({
        currency: z.string(),
        accountId: z.uuid(),
        movements: z.array(statementMovementSchema),
        closing: z.object({ earned: amount, disbursed: amount, inFlight: amount, owed: amount, reservedIncoming: amount }),
      }),
    ),
  })
  .meta({ id: 'ProviderStatement' });

export const exceptionSchema = z.object({
  id: z.uuid(),
  kind: z.enum(exceptionKinds),
  statementLineId: z.uuid().nullable(),
  paymentLineId: z.uuid().nullable(),
  detail: z.string(),
  expected: amount.nullable(),
  actual: amount.nullable(),
  currency: z.string(),
  status: z.enum(['open', 'resolved']),
  raisedAt: z.string(),
  resolvedBy: z.string().nullable(),
  resolution: z.string().nullable(),
  resolvedAt: z.string().nullable(),
});
export const exceptionListSchema = z.object({ items: z.array(exceptionSchema) }).meta({ id: 'ReconciliationExceptionList' });

export const holdsQuery = z.strictObject({
  escalated: z.enum(['true', 'false']).optional().meta({ description: 'Only escalated (true) or not yet escalated (false) holds' }),
  format: formatQuery,
});

export const holdItemSchema = z.object({
  claimId: z.uuid(),
  providerId: z.uuid(),
  providerName: z.string(),
  claimStatus: z.string(),
  amount,
  currency: z.string(),
  reasonCode: z.enum(holdReasonCodes),
  reason: z.string(),
  detail: z.string().nullable(),
  since: z.string(),
  decideBy: z.string(),
  overdue: z.boolean().meta({ description: 'Past its decision deadline' }),
  escalated: z.boolean(),
  escalatedAt: z.string().nullable(),
  handledBy: z.array(z.string()).meta({ description: 'Who placed or acted on the hold before it escalated: none of them may decide it now' }),
});

export const holdReportSchema = z
  .object({
    asOf: z.string(),
    open: z.number().int().meta({ description: 'Open holds' }),
    overdue: z.number().int().meta({ description: 'Open holds past their decision deadline' }),
    escalated: z.number().int().meta({ description: 'Open holds escalated to a second officer' }),
    items: z.array(holdItemSchema),
  })
  .meta({ id: 'HoldReport' });
