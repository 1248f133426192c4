import { z } from 'zod';
import { identityChecks } from '../../db/schema/counter.js';
import { minorUnitsSchema as money } from '../../lib/money.js';

/** The officer's attestation, sent with the look-up and with every consent or decline. */
export const attestationFields = {
  learnerPresent: z.literal(true, { error: 'must be true: the learner is at the counter and agrees to this' }).meta({
    description: 'The officer attests that the learner is present at the counter and agrees to this action',
  }),
  identityCheck: z.enum(identityChecks, { error: `must be one of ${identityChecks.join(', ')}: how the officer checked the learner's identity` }),
};

export const attestationBody = z.strictObject(attestationFields).meta({ id: 'CounterAttestation' });

export const counterLookupBody = z
  .strictObject({
    country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code'),
    nationalId: z.string().min(1).max(32).meta({ description: 'The learner\'s national id, read from their card; sent in a body, never echoed back or logged' }),
    reason: z.string().trim().min(5, 'say why you are looking the learner up (at least 5 characters)').max(300),
    ...attestationFields,
  })
  .meta({ id: 'CounterLookup' });

export const visitParams = z.strictObject({ visitId: z.uuid() });
export const visitEnrolmentParams = z.strictObject({ visitId: z.uuid(), enrolmentId: z.uuid() });
export const counterEligibilityQuery = z.strictObject({ courseRunId: z.uuid() });

export const visitSchema = z
  .object({
    visitId: z.uuid(),
    expiresAt: z.string().meta({ description: 'The visit lasts 30 minutes from the look-up; after it, look the learner up again' }),
    learner: z.object({ id: z.uuid(), country: z.string(), nationalIdMasked: z.string(), fullName: z.string() }),
  })
  .meta({ id: 'CounterVisit' });

export const counterEnrolmentSchema = z
  .object({
    id: z.uuid(), status: z.string().meta({ example: 'requested' }), courseTitle: z.string().meta({ example: 'Data Analytics with Python' }),
    providerName: z.string(), runStartsAt: z.string().meta({ example: '2027-03-15T01:00:00.000Z' }),
    fee: money, funded: money, coPay: money.meta({ example: '120000' }), reserved: money, currency: z.string(), consentDeadline: z.string().nullable(),
    answeredAtCounterBy: z.string().nullable().meta({ example: null, description: 'The service-counter officer who answered the request with the learner, when it was answered at a counter' }),
  })
  .meta({ id: 'CounterEnrolment' });

export const counterAnswerSchema = z
  .object({
    enrolmentId: z.uuid(), visitId: z.uuid(), status: z.string().meta({ example: 'reserved' }), reserved: money, currency: z.string(),
    officer: z.string().meta({ example: 'oidc:counter-1', description: 'The officer who acted, as the audit trail and the learner\'s history name them' }),
  })
  .meta({ id: 'CounterAnswer' });
