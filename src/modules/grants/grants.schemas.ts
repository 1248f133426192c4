import { z } from 'zod';
import { minorUnitsSchema as money, positiveAmountSchema } from '../../lib/money.js';
import { employmentStatuses, incomeGroups } from '../schemes/scheme-rules.js';
import type { GrantRow, GrantRunRow } from './grants.repo.js';

const isoDateTime = z.iso.datetime({ offset: true });

export const createGrantBody = z
  .strictObject({
    schemeId: z.uuid(),
    amount: positiveAmountSchema,
    expiresAt: isoDateTime.nullable().optional().meta({ description: 'Defaults from the scheme\'s grant validity; null for no expiry' }),
    reason: z.string().max(500).optional(),
  })
  .meta({ id: 'CreateGrant' });

export const grantRunCriteriaSchema = z
  .strictObject({
    citizenships: z.array(z.string().regex(/^[A-Z]{2}$/)).default([]),
    age: z
      .strictObject({ on: z.iso.date(), min: z.number().int().min(0).max(130).optional(), max: z.number().int().min(0).max(130).optional() })
      .refine((a) => a.min === undefined || a.max === undefined || a.min <= a.max, 'min must not exceed max')
      .optional(),
    employmentStatuses: z.array(z.enum(employmentStatuses)).default([]),
    incomeGroups: z.array(z.enum(incomeGroups)).default([]),
  })
  .meta({ id: 'GrantRunCriteria' });

export type GrantRunCriteria = z.output<typeof grantRunCriteriaSchema>;

export const createGrantRunBody = z
  .strictObject({
    criteria: grantRunCriteriaSchema,
    amount: positiveAmountSchema,
    expiresAt: isoDateTime.nullable().optional(),
  })
  .meta({ id: 'CreateGrantRun' });

export const grantSchema = z
  .object({
    id: z.uuid(),
    learnerId: z.uuid(),
    schemeId: z.uuid(),
    currency: z.string(),
    amount: money,
    grantedAt: z.string(),
    expiresAt: z.string().nullable(),
    firstUseDeadline: z.string().nullable(),
    status: z.enum(['active', 'expired', 'revoked']),
  })
  .meta({ id: 'Grant' });

export const grantRunSchema = z
  .object({
    id: z.uuid(),
    schemeId: z.uuid(),
    status: z.enum(['queued', 'running', 'completed', 'failed']),
    amount: money,
    expiresAt: z.string().nullable(),
    criteria: grantRunCriteriaSchema,
    granted: z.string(),
    grantedAmount: money,
    error: z.string().nullable(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'GrantRun' });

export const grantView = (g: GrantRow) => ({
  id: g.id,
  learnerId: g.learnerId,
  schemeId: g.schemeId,
  currency: g.currency,
  amount: g.amount,
  grantedAt: g.grantedAt.toISOString(),
  expiresAt: g.expiresAt?.toISOString() ?? null,
  firstUseDeadline: g.firstUseDeadline?.toISOString() ?? null,
  status: g.status,
});

export const grantRunView = (r: GrantRunRow) => ({
  id: r.id,
  schemeId: r.schemeId,
  status: r.status,
  amount: r.amount,
  expiresAt: r.expiresAt?.toISOString() ?? null,
  criteria: r.criteria as GrantRunCriteria,
  granted: r.granted.toString(),
  grantedAmount: r.grantedAmount,
  error: r.error,
  createdAt: r.createdAt.toISOString(),
  startedAt: r.startedAt?.toISOString() ?? null,
  finishedAt: r.finishedAt?.toISOString() ?? null,
});
