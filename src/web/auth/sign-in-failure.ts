import * as oidc from 'openid-client';
import { AppError } from '../../lib/app-error.js';
import type { MessageKey } from '../messages/catalogue.js';

/** Why a sign-in did not complete, as the person is told it (signInFailureMessage names its message). */
export type SignInFailure = 'expired' | 'denied' | 'loginRequired' | 'unknownRole' | 'unknownPerson' | 'unreachable' | 'other';

/** The message that tells the person each failure. */
export const signInFailureMessage = {
  expired: 'signIn.why.expired', denied: 'signIn.why.denied', loginRequired: 'signIn.why.loginRequired', unknownRole: 'signIn.why.unknownRole',
  unknownPerson: 'signIn.why.unknownPerson', unreachable: 'signIn.why.unreachable', other: 'signIn.why.other',
} as const satisfies Record<SignInFailure, MessageKey>;

/** What the log keeps of a failure: codes only, never a token, a claim or the library's text with parameters in it. */
export interface SignInFailureLog {
  reason: SignInFailure;
  code?: string | undefined;
  idpError?: string | undefined;
}

const networkCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'OAUTH_TIMEOUT']);
// The callback's state, nonce or PKCE verifier did not match what this browser started with, or the code or token is stale.
const staleCodes = new Set(['OAUTH_JWT_CLAIM_COMPARISON_FAILED', 'OAUTH_JWT_TIMESTAMP_CHECK_FAILED', 'OAUTH_INVALID_RESPONSE']);

const codeOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

function isNetworkFailure(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = codeOf(e);
    if (code && networkCodes.has(code)) return true;
    if (e instanceof TypeError && e.message === 'fetch failed') return true;
    if (e instanceof Error && e.message === 'sign-in is not ready yet') return true;
  }
  return false;
}

/** The failure of a sign-in callback: the identity provider's answer, our own refusal of its claims, or the exchange itself. */
export function classifySignInFailure(err: unknown): SignInFailureLog {
  if (err instanceof AppError) {
    const reason = err.extra.reasons?.includes('unknown_role') ? 'unknownRole' : err.extra.reasons?.includes('unknown_person') ? 'unknownPerson' : 'other';
    return { reason, code: err.code };
  }
  if (err instanceof oidc.AuthorizationResponseError) {
    const idpError = err.error;
    const reason = idpError === 'access_denied' ? 'denied'
      : ['login_required', 'interaction_required', 'consent_required', 'account_selection_required'].includes(idpError) ? 'loginRequired'
        : 'other';
    return { reason, code: err.code, idpError };
  }
  // The token endpoint refused the code: invalid_grant is a reused or expired code, or a PKCE verifier that does not match.
  if (err instanceof oidc.ResponseBodyError) return { reason: err.error === 'invalid_grant' ? 'expired' : 'other', code: err.code, idpError: err.error };
  if (isNetworkFailure(err)) return { reason: 'unreachable', code: codeOf((err as { cause?: unknown }).cause) ?? codeOf(err) ?? 'network' };
  const code = codeOf(err);
  if (code && staleCodes.has(code)) return { reason: 'expired', code };
  return { reason: 'other', code: code ?? (err instanceof Error ? err.name : typeof err) };
}
