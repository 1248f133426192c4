import { z } from 'zod';
import { basisPointsOf, resultDescriptionIds } from './credential-shape.js';

/**
 * What a VC-JWT's payload says, read WITHOUT checking its signature: use it to
 * find the issuer's keys before verifying, or to show a credential whose
 * signature verifyCredential has already checked. Never trust it on its own.
 */
export interface CredentialContent {
  id: string;
  issuer: string;
  issuerName: string | undefined;
  subjectId: string;
  achievementId: string;
  achievementName: string | undefined;
  validFrom: Date;
  validUntil: Date | undefined;
  /** The outcome result's status (Completed, Failed), when there is one. */
  resultStatus: string | undefined;
  grade: string | undefined;
  attendanceBps: number | undefined;
}

// No looser than verifyCredential's own schema on anything it accepts: a credential a claim accepted must always read here.
const textOrOther = z.unknown().transform((v) => (typeof v === 'string' ? v : undefined));
const contentSchema = z.looseObject({
  id: z.string().min(1),
  issuer: z.union([z.string().min(1), z.looseObject({ id: z.string().min(1), name: textOrOther.optional() })]),
  validFrom: z.iso.datetime({ offset: true }),
  validUntil: z.iso.datetime({ offset: true }).optional(),
  credentialSubject: z.looseObject({
    id: z.string().min(1),
    achievement: z.looseObject({ id: z.string().min(1), name: textOrOther.optional() }),
    result: z.array(z.looseObject({ resultDescription: z.string().optional(), status: z.string().optional(), value: z.string().optional() })).optional(),
  }),
});

const compactJws = /^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]*$/;

/** The credential a compact JWS carries; null when it is not a compact JWS whose payload is a credential this service reads. */
export function readCredentialContent(jws: string): CredentialContent | null {
  const segment = compactJws.exec(jws)?.[1];
  if (!segment) return null;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const parsed = contentSchema.safeParse(json);
  if (!parsed.success) return null;
  const vc = parsed.data;
  const results = vc.credentialSubject.result ?? [];
  const outcome = results.find((r) => r.resultDescription === resultDescriptionIds.outcome);
  const attendance = results.find((r) => r.resultDescription === resultDescriptionIds.attendance);
  return {
    id: vc.id,
    issuer: typeof vc.issuer === 'string' ? vc.issuer : vc.issuer.id,
    issuerName: typeof vc.issuer === 'string' ? undefined : vc.issuer.name,
    subjectId: vc.credentialSubject.id,
    achievementId: vc.credentialSubject.achievement.id,
    achievementName: vc.credentialSubject.achievement.name,
    validFrom: new Date(vc.validFrom),
    validUntil: vc.validUntil ? new Date(vc.validUntil) : undefined,
    resultStatus: outcome?.status,
    grade: outcome?.value,
    attendanceBps: attendance ? (basisPointsOf(attendance.value ?? '') ?? undefined) : undefined,
  };
}
