import { z } from 'zod';
import { pageQuery } from '../../lib/cursor.js';
import { verificationAnswerSchema } from '../credentials/verification-answer.js';
import type { CredentialShareRow, CredentialShareUseRow, ShownCredential } from './learner-credentials.repo.js';

export const credentialIdParams = z.strictObject({ credentialId: z.uuid() });
export const shareIdParams = z.strictObject({ shareId: z.uuid() });
export const listCredentialsQuery = z.strictObject(pageQuery);

const issuerExample = z.string().meta({ example: 'urn:learning-credits:provider:0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b' });
const achievementExample = z.string().meta({ example: 'urn:learning-credits:course:0193a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2c' });

const resultSchema = z.object({
  status: z.string().meta({ description: 'The outcome the provider signed (OB 3.0 ResultStatusType): Completed', example: 'Completed' }),
  grade: z.string().nullable().meta({ example: 'A' }),
  attendanceBps: z.number().int().nullable().meta({ description: 'The attendance the provider signed, in basis points (7500 = 75%)' }),
});

export const learnerCredentialSchema = z
  .object({
    id: z.uuid().meta({ description: 'This kept credential (the {credentialId} of the operations below)' }),
    claimId: z.uuid(),
    vcId: z.string().meta({ description: 'The credential\'s own `id`, as signed (the one a provider revokes)', example: 'urn:uuid:5d1f0c8e-3b7a-4e2f-9a61-0c2b8d4e6f10' }),
    issuer: issuerExample,
    issuerName: z.string().nullable().meta({ example: 'Lion City Digital Academy Pte Ltd' }),
    achievementId: achievementExample,
    achievementName: z.string().nullable().meta({ example: 'Data Analytics Fundamentals' }),
    validFrom: z.iso.datetime(),
    validUntil: z.iso.datetime().nullable(),
    result: resultSchema,
    status: z.enum(['valid', 'revoked', 'expired']).meta({ description: 'Read now, never cached: revoked by the provider, past validUntil, or else valid' }),
    revokedAt: z.iso.datetime().nullable(),
    sha256: z.string().meta({ description: 'SHA-256 (hex) of the original VC-JWT, as the claim recorded it', example: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08' }),
    keptAt: z.iso.datetime(),
  })
  .meta({ id: 'LearnerCredential' });

export const learnerCredentialView = (c: ShownCredential) => ({
  id: c.id, claimId: c.claimId, vcId: c.credentialId, issuer: c.issuer, issuerName: c.issuerName, achievementId: c.achievementId,
  achievementName: c.achievementName, validFrom: c.validFrom.toISOString(), validUntil: c.validUntil?.toISOString() ?? null,
  result: { status: c.resultStatus, grade: c.grade, attendanceBps: c.attendanceBps }, status: c.status, revokedAt: c.revokedAt?.toISOString() ?? null,
  sha256: c.sha256, keptAt: c.createdAt.toISOString(),
});

export const createShareBody = z
  .strictObject({
    expiresInDays: z.number().int().min(1).max(90).default(30).meta({ description: 'How long the link works: 1 to 90 days, 30 unless said' }),
    label: z.string().trim().min(1).max(100).optional().meta({ description: 'A note for yourself (who you gave it to); never shown to whoever opens the link', example: 'Application at Acme Analytics' }),
  })
  .meta({ id: 'CreateCredentialShare' });

export const createdShareSchema = z
  .object({
    shareId: z.uuid(),
    url: z.string().meta({ description: 'The link to give: it verifies the credential for whoever opens it, without signing in', example: 'https://credits.example/v1/public/credential-shares/lcs_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
    token: z.string().meta({ description: 'The link\'s secret, shown this once: the service keeps only its hash', example: 'lcs_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: 'CreatedCredentialShare' });

export const shareSchema = z
  .object({
    id: z.uuid(),
    credentialId: z.uuid(),
    label: z.string().nullable().meta({ example: 'Application at Acme Analytics' }),
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
    revokedAt: z.iso.datetime().nullable(),
    state: z.enum(['active', 'expired', 'revoked']),
    uses: z.number().int().meta({ description: 'How many times the link was opened' }),
  })
  .meta({ id: 'CredentialShare' });

export const shareView = (s: CredentialShareRow, uses: number, now: Date) => ({
  id: s.id, credentialId: s.learnerCredentialId, label: s.label, createdAt: s.createdAt.toISOString(), expiresAt: s.expiresAt.toISOString(),
  revokedAt: s.revokedAt?.toISOString() ?? null, state: s.revokedAt ? 'revoked' : s.expiresAt.getTime() <= now.getTime() ? 'expired' : 'active', uses,
});

export const shareUseSchema = z
  .object({
    at: z.iso.datetime(),
    verified: z.boolean(),
    reason: z.string().nullable().meta({ description: 'Why it did not verify (revoked, expired, share_expired, share_revoked, ...); null when it did', example: 'revoked' }),
  })
  .meta({ id: 'CredentialShareUse' });

export const shareUseView = (u: CredentialShareUseRow) => ({ at: u.at.toISOString(), verified: u.verified, reason: u.reason });

// Public routes ---------------------------------------------------------------------------------------------------

/** Attendance and the result are what the provider signed: a body that sends them beside the credential is refused. */
const signedInsideCredential = ['attendanceBps', 'result'];

export const verifyCredentialBody = z
  .strictObject(
    {
      credential: z
        .string()
        .max(65_536)
        .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/, 'must be a compact JWS (VC-JWT)')
        .meta({ description: 'A VC-JWT: an OpenBadgeCredential signed by a registered provider (the shape is in POST /v1/claims)' }),
    },
    {
      error: (issue) =>
        issue.code === 'unrecognized_keys' && issue.keys.some((k) => signedInsideCredential.includes(k))
          ? `${issue.keys.join(', ')}: attendance and the result are read only from inside the signed credential (credentialSubject.result), never beside it`
          : undefined,
    },
  )
  .meta({ id: 'VerifyCredential' });

export const shareTokenParams = z.strictObject({
  token: z.string().max(100).meta({ description: 'The secret of a share link (`lcs_` and 43 characters)', example: 'lcs_3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }),
});

export const sharedCredentialSchema = z
  .object({
    verification: verificationAnswerSchema,
    credential: z.object({
      vcId: z.string().meta({ example: 'urn:uuid:5d1f0c8e-3b7a-4e2f-9a61-0c2b8d4e6f10' }),
      issuer: issuerExample,
      issuerName: z.string().nullable().meta({ example: 'Lion City Digital Academy Pte Ltd' }),
      achievementId: achievementExample,
      achievementName: z.string().nullable().meta({ example: 'Data Analytics Fundamentals' }),
      validFrom: z.iso.datetime(),
      validUntil: z.iso.datetime().nullable(),
      result: resultSchema,
    }),
    original: z.string().meta({ description: 'The VC-JWT exactly as the provider signed it, to verify independently', example: 'eyJhbGciOiJFZERTQSIsImtpZCI6ImFjYWRlbXktMjAyNyIsInR5cCI6InZjK2p3dCJ9.eyJ0eXBlIjpbIlZlcmlmaWFibGVDcmVkZW50aWFsIl19.c2lnbmF0dXJl' }),
    shareExpiresAt: z.iso.datetime(),
  })
  .meta({ id: 'SharedCredential' });

export const sharedCredentialView = (v: z.output<typeof verificationAnswerSchema>, c: ShownCredentialBase, expiresAt: Date) => ({
  verification: v,
  credential: {
    vcId: c.credentialId, issuer: c.issuer, issuerName: c.issuerName, achievementId: c.achievementId, achievementName: c.achievementName,
    validFrom: c.validFrom.toISOString(), validUntil: c.validUntil?.toISOString() ?? null,
    result: { status: c.resultStatus, grade: c.grade, attendanceBps: c.attendanceBps },
  },
  original: c.jws,
  shareExpiresAt: expiresAt.toISOString(),
});
type ShownCredentialBase = Omit<ShownCredential, 'status' | 'revokedAt'>;
