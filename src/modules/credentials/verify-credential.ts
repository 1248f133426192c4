import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import { achievementIdOf, issuerIdOf } from './credential-ids.js';

/** Asymmetric algorithms only: `none` and HMAC are never accepted. */
export const credentialAlgorithms = ['EdDSA', 'ES256'] as const;

export type CredentialFailure =
  | 'credential_malformed'
  | 'algorithm_not_allowed'
  | 'signing_key_unknown'
  | 'signature_invalid'
  | 'issuer_mismatch'
  | 'subject_mismatch'
  | 'achievement_mismatch'
  | 'issued_before_run_start'
  | 'issued_in_future'
  | 'not_yet_valid'
  | 'expired';

/** The parts of an OpenBadgeCredential (VC 2.0 data model) this service reads. */
const credentialSchema = z.looseObject({
  '@context': z.array(z.unknown()).min(1),
  type: z.array(z.string()).refine((t) => t.includes('VerifiableCredential') && t.includes('OpenBadgeCredential'), 'must be an OpenBadgeCredential'),
  id: z.string().min(1).max(512),
  issuer: z.union([z.string().min(1), z.looseObject({ id: z.string().min(1) })]),
  validFrom: z.iso.datetime({ offset: true }),
  validUntil: z.iso.datetime({ offset: true }).optional(),
  credentialSubject: z.looseObject({
    id: z.string().min(1),
    achievement: z.looseObject({ id: z.string().min(1) }),
  }),
  // JWT registered claims (NumericDate, seconds) a VC-JWT may carry beside the credential's own dates.
  iat: z.number().optional(),
  nbf: z.number().optional(),
  exp: z.number().optional(),
});

/** A NumericDate as a Date; null when it is not a date JavaScript can represent. */
const numericDate = (seconds: number): Date | null => {
  const d = new Date(seconds * 1000);
  return Number.isNaN(d.getTime()) ? null : d;
};

export interface VerificationContext {
  providerId: string;
  /** The provider's active keys. */
  keys: { kid: string; alg: string; publicJwk: JWK }[];
  learnerSubjectId: string;
  courseId: string;
  runStartsAt: Date;
  now: Date;
  /** Clock skew allowed on time checks. */
  skewMs?: number;
}

export interface VerifiedCredential {
  id: string | null;
  issuedAt: Date | null;
  failures: CredentialFailure[];
}

const issuerIdFrom = (issuer: string | { id: string }) => (typeof issuer === 'string' ? issuer : issuer.id);

/**
 * Verifies a VC-JWT completion credential. The signature comes first: what a
 * payload says is only read once it is known to be the provider's. Every
 * other failed check is reported, not just the first.
 */
export async function verifyCredential(jwt: string, ctx: VerificationContext): Promise<VerifiedCredential> {
  const skew = ctx.skewMs ?? 5 * 60_000;
  let header;
  try {
    header = decodeProtectedHeader(jwt);
  } catch {
    return { id: null, issuedAt: null, failures: ['credential_malformed'] };
  }
  if (typeof header.alg !== 'string' || !(credentialAlgorithms as readonly string[]).includes(header.alg)) {
    return { id: null, issuedAt: null, failures: ['algorithm_not_allowed'] };
  }
  const key = ctx.keys.find((k) => k.kid === header.kid && k.alg === header.alg);
  if (!key) return { id: null, issuedAt: null, failures: ['signing_key_unknown'] };
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jwt, await importJWK(key.publicJwk, key.alg), { algorithms: [key.alg] }));
  } catch {
    return { id: null, issuedAt: null, failures: ['signature_invalid'] };
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return { id: null, issuedAt: null, failures: ['credential_malformed'] };
  }
  const parsed = credentialSchema.safeParse(json);
  if (!parsed.success) return { id: null, issuedAt: null, failures: ['credential_malformed'] };
  const vc = parsed.data;
  const failures: CredentialFailure[] = [];
  const validFrom = new Date(vc.validFrom);
  const validUntil = vc.validUntil ? new Date(vc.validUntil) : null;
  const [iat, nbf, exp] = [vc.iat, vc.nbf, vc.exp].map((t) => (t === undefined ? undefined : numericDate(t)));
  // An unrepresentable date would compare false with everything and slip past every time check.
  if (iat === null || nbf === null || exp === null) return { id: null, issuedAt: null, failures: ['credential_malformed'] };
  if (issuerIdFrom(vc.issuer) !== issuerIdOf(ctx.providerId)) failures.push('issuer_mismatch');
  if (vc.credentialSubject.id !== ctx.learnerSubjectId) failures.push('subject_mismatch');
  if (vc.credentialSubject.achievement.id !== achievementIdOf(ctx.courseId)) failures.push('achievement_mismatch');
  // Issue time is the JWT's iat when present, else validFrom (VC 2.0 has no separate issuance date).
  const issuedAt = iat ?? validFrom;
  if (issuedAt < ctx.runStartsAt) failures.push('issued_before_run_start');
  if (issuedAt.getTime() > ctx.now.getTime() + skew) failures.push('issued_in_future');
  // The JWT's nbf/exp, when present, bound validity as well as validFrom/validUntil.
  if (validFrom.getTime() > ctx.now.getTime() + skew || (nbf && nbf.getTime() > ctx.now.getTime() + skew)) failures.push('not_yet_valid');
  if ((validUntil && validUntil.getTime() <= ctx.now.getTime() - skew) || (exp && exp.getTime() <= ctx.now.getTime() - skew)) failures.push('expired');
  return { id: vc.id, issuedAt, failures };
}
