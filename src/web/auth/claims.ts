import type { Db, Tx } from '../../db/client.js';
import { claimAt, roleOf, type ClaimPath } from '../../http/auth.js';
import { AppError } from '../../lib/app-error.js';
import { roles, type Principal, type Role } from '../../lib/principal.js';
import type { ServiceDeps } from '../../modules/deps.js';
import { lookupLearner } from '../../modules/learners/learners.service.js';
import { providerByRegistration } from '../../modules/providers/providers.service.js';

/**
 * The ID-token claims a sign-in reads (OIDC_CLAIMS). The role claim is read
 * exactly as for bearer tokens (claimAt, roleOf of src/http/auth.ts); a learner
 * is named by a national id and its country, never by our own id, and a
 * provider by its registration number.
 */
export interface SignInClaimNames {
  role: ClaimPath;
  nationalId: ClaimPath;
  country: ClaimPath;
  providerRegistration: ClaimPath;
}

export const defaultSignInClaimNames: SignInClaimNames = {
  role: 'role', nationalId: 'national_id', country: 'country', providerRegistration: 'provider_registration',
};

const text = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);

/**
 * The Principal of a signed-in person, the same shape a bearer token gives,
 * so pages call the services with the same role checks. A citizen whose
 * national id names no learner, or a provider's registration no provider,
 * is refused: the identity provider knows them, this service does not.
 */
export async function principalFromClaims(
  deps: Pick<ServiceDeps, 'nationalIds'>, db: Db | Tx, claims: Record<string, unknown>, names: SignInClaimNames,
): Promise<Principal> {
  const sub = text(claims.sub);
  const role = roleOf(claimAt(claims, names.role));
  if (!sub || typeof role !== 'string' || !(roles as readonly string[]).includes(role)) {
    throw new AppError('unauthenticated', 'the identity provider did not say which role you have in this service', { reasons: ['unknown_role'] });
  }
  const subject = `oidc:${sub}`;
  switch (role as Role) {
    case 'citizen': {
      const nationalId = text(claimAt(claims, names.nationalId));
      const country = text(claimAt(claims, names.country));
      if (!nationalId || !country) throw new AppError('unauthenticated', 'the identity provider did not send your national id', { reasons: ['unknown_person'] });
      try {
        const learner = await lookupLearner(deps as ServiceDeps, db, country.toUpperCase(), nationalId);
        return { role: 'citizen', subject, learnerId: learner.id };
      } catch (err) {
        if (err instanceof AppError) throw new AppError('unauthenticated', 'no learner account holds the national id you signed in with', { reasons: ['unknown_person'] });
        throw err;
      }
    }
    case 'provider': {
      const registration = text(claimAt(claims, names.providerRegistration));
      const country = text(claimAt(claims, names.country));
      const provider = registration && country ? await providerByRegistration(db, country.toUpperCase(), registration) : undefined;
      if (!provider) throw new AppError('unauthenticated', 'no provider is registered under the registration number you signed in with', { reasons: ['unknown_person'] });
      return { role: 'provider', subject, providerId: provider.id };
    }
    case 'finance':
      return { role: 'finance', subject };
    case 'admin':
      return { role: 'admin', subject };
    case 'analyst':
      return { role: 'analyst', subject };
    case 'counter':
      return { role: 'counter', subject };
    default:
      throw new AppError('unauthenticated', `the ${role} role has no pages yet`, { reasons: ['unknown_role'] });
  }
}
