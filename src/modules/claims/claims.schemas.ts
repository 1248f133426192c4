import { z } from 'zod';
import { claimStatuses } from '../../db/schema/index.js';
import { pageQuery } from '../../lib/cursor.js';
import { minorUnitsSchema as money, positiveAmountSchema } from '../../lib/money.js';
import { holdReasonCodes } from './hold-reasons.js';

export const claimIdParams = z.strictObject({ claimId: z.uuid() });

/** Attendance and the result are signed by the provider now: a body that still carries them is refused, saying where they go. */
const signedInsideCredential = ['attendanceBps', 'result'];

export const submitClaimBody = z
  .strictObject(
    {
      enrolmentId: z.uuid(),
      module: z
        .number()
        .int('must be a whole module number')
        .min(1, 'must be at least 1 (the first module)')
        .max(20, 'must be at most 20')
        .optional()
        .meta({ description: 'On a modular course, required: the module (1 = first) this milestone claim pays; omit it on a course paid in one claim' }),
      amount: positiveAmountSchema.meta({ description: 'Greater than zero and at most what was reserved (for a milestone claim, for its module); the rest goes back to the learner' }),
      credential: z
        .string()
        .max(65_536)
        .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/, 'must be a compact JWS (VC-JWT)')
        .meta({ description: 'OpenBadgeCredential signed as a VC-JWT (EdDSA or ES256) with a key the provider registered; its shape is in the operation description' }),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys' && issue.keys.some((k) => signedInsideCredential.includes(k))
          ? `${issue.keys.join(', ')}: attendance and the result travel inside the signed credential, as credentialSubject.result (OB 3.0 Result objects), not in the claim body`
          : undefined,
    },
  )
  .meta({ id: 'SubmitClaim' });

export const decisionBody = z
  .strictObject({ decision: z.enum(['approve', 'reject']), reason: z.string().trim().min(3).max(1000) })
  .meta({ id: 'ClaimDecision' });

export const flagBody = z.strictObject({ reason: z.string().trim().min(3).max(1000) }).meta({ id: 'FlagClaim' });

export const revocationBody = z
  .strictObject({ credentialId: z.string().min(1).max(512), reason: z.string().trim().min(3).max(1000) })
  .meta({ id: 'RevokeCredential' });

export const listClaimsQuery = z.strictObject({ ...pageQuery, status: z.enum(claimStatuses).optional(), onHold: z.enum(['true', 'false']).optional() });

export const claimHoldSchema = z
  .object({
    reasonCode: z.enum(holdReasonCodes).meta({
      description: 'Stable code: a review reason of the automatic checks, flagged_by_officer, credential_revoked or provider_suspended',
    }),
    reason: z.string().meta({ description: 'In plain words, with the reason the officer or administrator gave' }),
    detail: z.string().nullable().meta({ description: 'The reason as the officer, provider or administrator gave it (not shown to learners)' }),
    since: z.string().meta({ description: 'When the hold began' }),
    decideBy: z.string().meta({ description: "Decision deadline: since + the scheme's holdDecisionDays" }),
    escalated: z.boolean().meta({ description: 'Past its deadline and escalated: an officer who has not handled it decides it' }),
    escalatedAt: z.string().nullable(),
  })
  .meta({ id: 'ClaimHold', description: 'Why the claim waits for a decision, and by when; the claim shows null when nothing holds it' });

export const claimSchema = z
  .object({
    id: z.uuid(),
    enrolmentId: z.uuid(),
    module: z.number().int().nullable().meta({ description: 'The module a milestone claim pays (1 = first); null on a course paid in one claim' }),
    learnerId: z.uuid(),
    providerId: z.uuid(),
    status: z.enum(claimStatuses),
    amountClaimed: money,
    currency: z.string(),
    attendanceBps: z.number().int().nullable().meta({ description: 'The attendance the provider signed in the credential, in basis points (7500 = 75%)' }),
    credentialId: z.string().nullable(),
    failedChecks: z.array(z.string()).meta({ description: 'Every check that failed, when rejected' }),
    reviewReasons: z.array(z.string()),
    onHold: z.boolean(),
    flagReason: z.string().nullable(),
    decidedBy: z.string().nullable(),
    decisionReason: z.string().nullable(),
    submittedAt: z.string(),
    decidedAt: z.string().nullable(),
    paidAt: z.string().nullable(),
    reversedAt: z.string().nullable(),
    reversalReasonCode: z.string().nullable(),
    reversalReason: z.string().nullable(),
    hold: z.union([claimHoldSchema, z.null()]),
  })
  .meta({ id: 'Claim' });

export const revocationSchema = z
  .object({ credentialId: z.string(), revokedAt: z.string(), claimsFlagged: z.array(z.uuid()) })
  .meta({ id: 'CredentialRevocation' });
