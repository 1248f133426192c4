import { z } from 'zod';

/**
 * What the public verification endpoint answers for any credential it is
 * shown: a provider's completion credential (a VC-JWT signed with the
 * provider's registered key) or one the service issued itself for a stacked
 * pathway (signed with the scheme's key). One shape, so that an employer
 * reads both the same way: every check is listed, passed or not, and a
 * failed check names its reason code.
 */
export const verificationCheckNames = [
  /** The signature verifies against the issuer's registered key (a provider's, or the scheme's). */
  'signature',
  /** The issuer is known and in good standing: a provider approved and not suspended, or an active scheme. */
  'issuer',
  /** What was achieved is approved: the course under a scheme, or the pathway as defined. */
  'achievement',
  /** Not revoked: the provider's revocation list, or the scheme's Bitstring Status List. */
  'revocation',
  /** Within its validity dates. */
  'expiry',
] as const;
export type VerificationCheckName = (typeof verificationCheckNames)[number];

export const verificationCheckSchema = z
  .object({
    check: z.enum(verificationCheckNames),
    passed: z.boolean(),
    /** A reason code when the check failed (signature_invalid, provider_suspended, revoked, expired, ...). */
    reason: z.string().optional(),
    /** Plain words for the reason. */
    detail: z.string().optional(),
  })
  .meta({ id: 'VerificationCheck' });
export type VerificationCheck = z.infer<typeof verificationCheckSchema>;

export const verificationAnswerSchema = z
  .object({
    /** True only when every check passed. */
    verified: z.boolean(),
    kind: z.enum(['completion_credential', 'pathway_credential']).optional(),
    checks: z.array(verificationCheckSchema),
    /** What the credential says, once it could be read: never the learner's identity beyond the credential's own subject id. */
    credential: z
      .object({
        id: z.string(),
        issuer: z.string(),
        issuerName: z.string().optional(),
        achievementId: z.string(),
        achievementName: z.string().optional(),
        validFrom: z.string(),
        validUntil: z.string().optional(),
        /** When the achievement is one module of a modular course: which module, of which course. */
        module: z.object({ ordinal: z.number().int(), title: z.string(), courseId: z.string(), courseTitle: z.string() }).optional(),
      })
      .optional(),
  })
  .meta({ id: 'VerificationAnswer' });
export type VerificationAnswer = z.infer<typeof verificationAnswerSchema>;

/** The answer for a list of checks: verified when all passed. */
export const answerOf = (checks: VerificationCheck[], rest: Omit<VerificationAnswer, 'verified' | 'checks'> = {}): VerificationAnswer => ({
  verified: checks.length === verificationCheckNames.length && checks.every((c) => c.passed),
  checks,
  ...rest,
});
