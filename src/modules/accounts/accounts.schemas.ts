import { z } from 'zod';
import { minorUnitsSchema as money } from '../../lib/money.js';
import { movementSigns } from './describe-movement.js';

const movementSignSchema = z.enum(movementSigns).meta({
  description: 'What the movement did to the credit, in the words a person expects: granted, reserved, released (back to the credit), paid (to the provider), expired, lapsed (first-use deadline missed), reinstated (after a clawback, or after an appeal: code `appeal_reinstatement`), other',
});

export const grantBalanceSchema = z
  .object({
    grantId: z.uuid(),
    schemeId: z.uuid(),
    schemeName: z.string(),
    currency: z.string(),
    amount: money,
    available: money,
    reserved: money,
    spent: money,
    expired: money,
    grantedAt: z.string(),
    expiresAt: z.string().nullable(),
    firstUseDeadline: z.string().nullable().meta({
      description: 'When the grant has a first-use deadline and is not used yet: the first enrolment must come by then, or the balance lapses back to the scheme',
    }),
    status: z.string(),
  })
  .meta({ id: 'GrantBalance' });

export const accountSchema = z
  .object({
    learnerId: z.uuid(),
    asOf: z.string(),
    grants: z.array(grantBalanceSchema),
    totals: z.array(z.object({ currency: z.string(), available: money, reserved: money, spent: money, expired: money })),
    expiringSoon: z
      .array(z.object({ grantId: z.uuid(), currency: z.string(), available: money, expiresAt: z.string() }))
      .meta({ description: 'Credit that expires in the next 90 days' }),
  })
  .meta({ id: 'LearnerAccount' });

export const movementSchema = z
  .object({
    id: z.uuid(),
    at: z.string(),
    grantId: z.uuid(),
    kind: z.string(),
    code: z.string(),
    direction: z.enum(['credit', 'debit']),
    amount: money,
    currency: z.string(),
    description: z.string(),
    sign: movementSignSchema,
    schemeName: z.string().meta({ description: 'The scheme of the grant the movement is on' }),
    courseTitle: z.string().nullable().meta({ description: 'For a movement of an enrolment: the course it is for' }),
    referenceId: z.string().nullable(),
    counterOfficer: z.string().nullable().meta({ example: null, description: 'For a reservation the learner agreed to at a service counter: the officer who recorded it' }),
  })
  .meta({ id: 'AccountMovement' });
