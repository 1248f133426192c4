import { readCredentialContent } from '../credentials/credential-content.js';
import { schemeIdOfIssuer } from '../credentials/credential-ids.js';
import type { VerificationAnswer } from '../credentials/verification-answer.js';
import { verifyPresentedCredential, type PresentedCredentialDeps } from '../credentials/verify-presented-credential.js';
import { verifyPathwayCredential } from '../pathways/verify-pathway-credential.js';

/**
 * What the public verification endpoint checks: a credential the service
 * issued itself for a stacked pathway (its issuer is a scheme) against the
 * scheme's key and status list, any other against the provider it names.
 * Both answer in the one shape of verification-answer.ts.
 */
export async function verifyAnyCredential(deps: PresentedCredentialDeps, jws: string): Promise<VerificationAnswer> {
  const issuer = readCredentialContent(jws)?.issuer;
  if (issuer !== undefined && schemeIdOfIssuer(issuer) !== undefined) return verifyPathwayCredential(deps, jws);
  return verifyPresentedCredential(deps, jws);
}
