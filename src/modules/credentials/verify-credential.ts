import { compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose';
import { z } from 'zod';
import type { MicroCredential } from '../courses/micro-credential.js';
import { achievementIdOf, issuerIdOf } from './credential-ids.js';
import { basisPointsOf, resultDescriptionIds } from './credential-shape.js';

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
  | 'expired'
  | 'result_missing'
  | 'result_failed'
  | 'achievement_level_mismatch'
  | 'achievement_workload_mismatch';

const resultSchema = z.looseObject({
  resultDescription: z.string().optional(),
  status: z.string().optional(),
  value: z.string().optional(),
});

/** The EU elements a signed achievement states (see credential-shape.ts); only those present are compared. */
const signedElementsSchema = z.looseObject({
  learningHours: z.number().optional(),
  credits: z.looseObject({ value: z.string(), system: z.string() }).optional(),
  level: z.looseObject({ framework: z.string(), value: z.number() }).optional(),
});

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
    achievement: z.looseObject({
      id: z.string().min(1),
      creditsAvailable: z.number().optional(),
      euMicroCredential: signedElementsSchema.optional(),
    }),
    result: z.array(resultSchema).max(50).optional(),
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
  /** The learner a claim is about; omitted when whoever the credential names will do (the public verifier). */
  learnerSubjectId?: string;
  courseId: string;
  /**
   * The achievement the credential must carry when it is not the course's own: a module of a modular course. Its
   * level and workload are the module's, so the course's are not compared with it.
   */
  achievementId?: string;
  /** What the course says its micro-credential is: a signed achievement must not contradict it. */
  course: { hours: number; microCredential: MicroCredential | null };
  /** The run a claim pays for; omitted when no run is in question (the public verifier). */
  runStartsAt?: Date;
  now: Date;
  /** Clock skew allowed on time checks. */
  skewMs?: number;
}

export interface VerifiedCredential {
  id: string | null;
  issuedAt: Date | null;
  /** The signed attendance result in basis points; null when the credential carries none. */
  attendanceBps: number | null;
  failures: CredentialFailure[];
}

const unverified = (failure: CredentialFailure): VerifiedCredential => ({ id: null, issuedAt: null, attendanceBps: null, failures: [failure] });

type SignedAchievement = z.output<typeof credentialSchema>['credentialSubject']['achievement'];

/** Where the signed achievement states a level or workload other than the course's. */
function contradictions(a: SignedAchievement, course: VerificationContext['course']): CredentialFailure[] {
  const signed = a.euMicroCredential;
  const m = course.microCredential;
  const failures: CredentialFailure[] = [];
  if (signed?.level && (!m || signed.level.framework !== m.level.framework || signed.level.value !== m.level.value)) {
    failures.push('achievement_level_mismatch');
  }
  const creditsDiffer = (value: number, system: string) => !m?.credits || m.credits.system !== system || Number(m.credits.value) !== value;
  if (
    (signed?.learningHours !== undefined && signed.learningHours !== course.hours) ||
    (signed?.credits && creditsDiffer(Number(signed.credits.value), signed.credits.system)) ||
    (a.creditsAvailable !== undefined && creditsDiffer(a.creditsAvailable, 'ECTS'))
  ) {
    failures.push('achievement_workload_mismatch');
  }
  return failures;
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
    return unverified('credential_malformed');
  }
  if (typeof header.alg !== 'string' || !(credentialAlgorithms as readonly string[]).includes(header.alg)) {
    return unverified('algorithm_not_allowed');
  }
  const key = ctx.keys.find((k) => k.kid === header.kid && k.alg === header.alg);
  if (!key) return unverified('signing_key_unknown');
  let payload: Uint8Array;
  try {
    ({ payload } = await compactVerify(jwt, await importJWK(key.publicJwk, key.alg), { algorithms: [key.alg] }));
  } catch {
    return unverified('signature_invalid');
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return unverified('credential_malformed');
  }
  const parsed = credentialSchema.safeParse(json);
  if (!parsed.success) return unverified('credential_malformed');
  const vc = parsed.data;
  const failures: CredentialFailure[] = [];
  const validFrom = new Date(vc.validFrom);
  const validUntil = vc.validUntil ? new Date(vc.validUntil) : null;
  const [iat, nbf, exp] = [vc.iat, vc.nbf, vc.exp].map((t) => (t === undefined ? undefined : numericDate(t)));
  // An unrepresentable date would compare false with everything and slip past every time check.
  if (iat === null || nbf === null || exp === null) return unverified('credential_malformed');
  const results = vc.credentialSubject.result ?? [];
  const attendance = results.find((r) => r.resultDescription === resultDescriptionIds.attendance);
  const attendanceBps = attendance ? basisPointsOf(attendance.value ?? '') : null;
  if (attendance && attendanceBps === null) return unverified('credential_malformed');
  const outcome = results.find((r) => r.resultDescription === resultDescriptionIds.outcome);
  if (issuerIdFrom(vc.issuer) !== issuerIdOf(ctx.providerId)) failures.push('issuer_mismatch');
  if (ctx.learnerSubjectId !== undefined && vc.credentialSubject.id !== ctx.learnerSubjectId) failures.push('subject_mismatch');
  if (vc.credentialSubject.achievement.id !== (ctx.achievementId ?? achievementIdOf(ctx.courseId))) failures.push('achievement_mismatch');
  else if (ctx.achievementId === undefined) failures.push(...contradictions(vc.credentialSubject.achievement, ctx.course));
  if (!outcome) failures.push('result_missing');
  else if (outcome.status !== 'Completed') failures.push('result_failed');
  // Issue time is the JWT's iat when present, else validFrom (VC 2.0 has no separate issuance date).
  const issuedAt = iat ?? validFrom;
  if (ctx.runStartsAt && issuedAt < ctx.runStartsAt) failures.push('issued_before_run_start');
  if (issuedAt.getTime() > ctx.now.getTime() + skew) failures.push('issued_in_future');
  // The JWT's nbf/exp, when present, bound validity as well as validFrom/validUntil.
  if (validFrom.getTime() > ctx.now.getTime() + skew || (nbf && nbf.getTime() > ctx.now.getTime() + skew)) failures.push('not_yet_valid');
  if ((validUntil && validUntil.getTime() <= ctx.now.getTime() - skew) || (exp && exp.getTime() <= ctx.now.getTime() - skew)) failures.push('expired');
  return { id: vc.id, issuedAt, attendanceBps, failures };
}
