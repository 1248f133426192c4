import { z } from 'zod';
import { minorUnitsSchema as money } from '../../lib/money.js';

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
    referenceId: z.string().nullable(),
  })
  .meta({ id: 'AccountMovement' });
