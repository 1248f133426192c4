import { z } from 'zod';
import { appealClosings, appealRejectReasonCodes, appealStatuses, reinstateReasonCodes } from '../../db/schema/index.js';
import { minorUnitsSchema as money, positiveAmountSchema } from '../../lib/money.js';
import type { AppealRow } from './appeals.repo.js';

export const appealIdParams = z.strictObject({ appealId: z.uuid() });
export const grantIdParams = z.strictObject({ grantId: z.uuid() });

/** The most a statement may say: enough for a page of the learner's reasons. */
export const STATEMENT_MAX = 2000;

export const fileAppealBody = z
  .strictObject({
    statement: z.string().trim().min(10).max(STATEMENT_MAX)
      .meta({ description: 'Why the grant should be reinstated, in the learner\'s words (10 to 2000 characters). Personal data: shown to the learner and the officers deciding, never logged or audited' }),
  })
  .meta({ id: 'FileAppeal', example: { statement: 'I was in hospital for the whole of the first-use period and could not enrol.' } });

const note = z.string().trim().min(3).max(1000);

export const reinstatementBody = z
  .strictObject({
    amount: positiveAmountSchema.meta({ description: 'Minor units to reinstate: at most what the grant\'s expiry or lapse returned and no appeal has reinstated' }),
    reasonCode: z.enum(reinstateReasonCodes),
    note: note.meta({ description: 'For the officers: why. Kept on the appeal, not in the audit details' }),
    expiresAt: z.iso.datetime({ offset: true }).nullable().optional()
      .meta({ description: 'Expiry of the new grant; by default from the scheme\'s grant validity, as for any grant; null for none' }),
  })
  .meta({ id: 'ProposeAppealReinstatement', example: { amount: '350000000', reasonCode: 'hardship', note: 'Hospital letter seen; full reinstatement.' } });

export const appealRejectionBody = z
  .strictObject({ reasonCode: z.enum(appealRejectReasonCodes), note })
  .meta({ id: 'RejectAppeal', example: { reasonCode: 'notice_was_given', note: 'Two reminders were delivered before the deadline.' } });

export const appealsQuery = z.strictObject({
  status: z.enum(appealStatuses).optional().meta({ description: 'Only appeals in this state; `open` is the queue to decide' }),
});

export const appealSchema = z
  .object({
    id: z.uuid(),
    grantId: z.uuid(),
    schemeId: z.uuid(),
    currency: z.string(),
    closing: z.enum(appealClosings).meta({ description: 'How the grant closed: expired, or lapsed (not used by its first-use deadline)' }),
    closedAt: z.string().meta({ example: '2027-02-15T09:30:00.000Z', description: 'When it expired or lapsed: the appeal window runs from here' }),
    lapsedAmount: money.meta({ example: '350000000', description: 'What the expiry or lapse returned to the scheme that no appeal had reinstated: the most this appeal can reinstate' }),
    statement: z.string().meta({ example: 'I was in hospital for the whole of the first-use period and could not enrol.' }),
    status: z.enum(appealStatuses).meta({ description: 'open (waiting for an officer), proposed (a reinstatement waits for a second officer), reinstated, rejected' }),
    filedAt: z.string().meta({ example: '2027-02-20T03:00:00.000Z' }),
    outcome: z
      .object({
        decision: z.enum(['reinstated', 'rejected']),
        reasonCode: z.string().meta({ example: 'hardship' }),
        amount: money.nullable().meta({ description: 'Reinstated: the amount of the new grant' }),
        reinstatedGrantId: z.uuid().nullable(),
        decidedAt: z.string(),
      })
      .nullable(),
  })
  .meta({ id: 'GrantAppeal' });

export const staffAppealSchema = appealSchema
  .extend({
    learnerId: z.uuid(),
    filedBy: z.string().meta({ example: 'learner-7' }),
    approvalId: z.uuid().nullable(),
    proposedAmount: money.nullable().meta({ example: '350000000' }),
    reasonCode: z.string().nullable().meta({ example: 'hardship' }),
    decisionNote: z.string().nullable().meta({ example: 'Hospital letter seen; full reinstatement.' }),
    decidedBy: z.string().nullable(),
  })
  .meta({ id: 'GrantAppealForStaff' });

export const appealView = (a: AppealRow) => ({
  id: a.id, grantId: a.grantId, schemeId: a.schemeId, currency: a.currency, closing: a.closing, closedAt: a.closedAt.toISOString(),
  lapsedAmount: a.lapsedAmount.toString(), statement: a.statement, status: a.status, filedAt: a.filedAt.toISOString(),
  outcome: (a.status === 'reinstated' || a.status === 'rejected') && a.decidedAt
    ? {
      decision: a.status, reasonCode: a.reasonCode ?? 'other', amount: a.status === 'reinstated' ? (a.proposedAmount?.toString() ?? null) : null,
      reinstatedGrantId: a.reinstatedGrantId, decidedAt: a.decidedAt.toISOString(),
    }
    : null,
});

export const staffAppealView = (a: AppealRow) => ({
  ...appealView(a), learnerId: a.learnerId, filedBy: a.filedBy, approvalId: a.approvalId, proposedAmount: a.proposedAmount?.toString() ?? null,
  reasonCode: a.reasonCode, decisionNote: a.decisionNote, decidedBy: a.decidedBy,
});
