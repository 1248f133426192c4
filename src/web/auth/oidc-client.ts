import * as oidc from 'openid-client';
import type { SignInState } from './session.js';

export interface SignInSettings {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  /** The pages' callback: PUBLIC_URL + /sign-in/callback. */
  redirectUri: string;
}

/** Authorisation code with PKCE (S256) against the configured issuer; the discovery document is fetched once, when first needed. */
export interface SignInClient {
  redirectUri: string;
  /** Where to send the browser, and what the sign-in cookie must remember. */
  begin(returnTo: string): Promise<{ url: string; state: SignInState }>;
  /** The ID token's claims, once the code, state, nonce and PKCE verifier check out; throws otherwise. */
  finish(callbackUrl: URL, state: SignInState): Promise<Record<string, unknown>>;
}

export function createSignInClient(settings: SignInSettings): SignInClient {
  let config: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    config ??= oidc
      .discovery(
        new URL(settings.issuer),
        settings.clientId,
        settings.clientSecret,
        settings.clientSecret ? oidc.ClientSecretBasic(settings.clientSecret) : oidc.None(),
        // Plain http only for a local issuer on this machine (the demo's); config refuses http:// issuers in production.
        new URL(settings.issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        config = undefined; // try again on the next sign-in
        throw err;
      });
    return config;
  };
  return {
    redirectUri: settings.redirectUri,
    async begin(returnTo) {
      const c = await configuration();
      const state: SignInState = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), returnTo };
      const url = oidc.buildAuthorizationUrl(c, {
        redirect_uri: settings.redirectUri, scope: 'openid', response_type: 'code',
        code_challenge: await oidc.calculatePKCECodeChallenge(state.verifier), code_challenge_method: 'S256',
        state: state.state, nonce: state.nonce,
      });
      return { url: url.href, state };
    },
    async finish(callbackUrl, state) {
      const c = await configuration();
      const tokens = await oidc.authorizationCodeGrant(c, callbackUrl, {
        pkceCodeVerifier: state.verifier, expectedState: state.state, expectedNonce: state.nonce, idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw new Error('the identity provider sent no ID token');
      return { ...claims };
    },
  };
}

/**
 * A sign-in client whose settings are known only once the service listens
 * (PORT 0 picks a port; the demo identity provider needs the redirect URI
 * before it starts). Until then a sign-in answers that it is not ready.
 */
export function deferredSignInClient(): SignInClient & { set(client: SignInClient): void } {
  let client: SignInClient | undefined;
  const ready = () => {
    if (!client) throw new Error('sign-in is not ready yet');
    return client;
  };
  return {
    get redirectUri() {
      return ready().redirectUri;
    },
    begin: (returnTo) => ready().begin(returnTo),
    finish: (url, state) => ready().finish(url, state),
    set(c) {
      client = c;
    },
  };
}
