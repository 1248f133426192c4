import { AppError } from '../../lib/app-error.js';
import { html } from '../html.js';
import { definePage, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';
import { principalFromClaims } from './claims.js';
import { classifySignInFailure, signInFailureMessage, type SignInFailureLog } from './sign-in-failure.js';

/** Only a path of this service: never another origin (an open redirect) or a protocol-relative //host. */
export const safeReturnTo = (v: unknown): string => (typeof v === 'string' && /^\/(?![/\\])[\x21-\x7e]*$/.test(v) ? v : '/');

/** Sign-in with the configured OpenID Connect issuer, and sign-out. */
export function authPages(deps: WebDeps): PageSpec[] {
  return [
    definePage({
      method: 'get', path: '/sign-in', roles: 'public',
      async handler({ t, principal, req, res }) {
        if (principal) return { redirect: safeReturnTo(req.query.returnTo), status: 302 };
        if (!deps.signIn) return { title: t('signIn.button'), body: html`<h1>${t('signIn.button')}</h1><p>${t('signIn.unavailable')}</p>` };
        const { url, state } = await deps.signIn.begin(safeReturnTo(req.query.returnTo));
        await deps.sessions.writeSignIn(res, state);
        return { redirect: url, status: 302 };
      },
    }),
    definePage({
      method: 'get', path: '/sign-in/callback', roles: 'public',
      async handler({ t, req, res, log }) {
        const state = await deps.sessions.readSignIn(req);
        deps.sessions.clearSignIn(res);
        const failed = (failure: SignInFailureLog) => {
          log.warn(failure, 'sign-in callback refused');
          return {
            status: 400, title: t('signIn.button'),
            body: html`<h1>${t('error.title')}</h1><div class="notice error" role="alert"><p>${t('signIn.failed')}</p><p>${t(signInFailureMessage[failure.reason])}</p></div>
<p><a class="button" href="/sign-in">${t('signIn.button')}</a></p>`,
          };
        };
        if (!deps.signIn) return failed({ reason: 'unreachable', code: 'not_configured' });
        // No sign-in cookie: it expired (it lives minutes) or the sign-in was started in another browser.
        if (!state) return failed({ reason: 'expired', code: 'no_sign_in_state' });
        let claims: Record<string, unknown>;
        try {
          const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
          claims = await deps.signIn.finish(new URL(`${deps.signIn.redirectUri}${query}`), state);
        } catch (err) {
          return failed(classifySignInFailure(err));
        }
        try {
          const principal = await principalFromClaims(deps.services, deps.services.database.db, claims, deps.claimNames);
          await deps.sessions.write(res, deps.sessions.start(principal));
          log.info({ role: principal.role }, 'signed in');
          return { redirect: state.returnTo, status: 303 };
        } catch (err) {
          if (err instanceof AppError) return failed(classifySignInFailure(err));
          throw err;
        }
      },
    }),
    definePage({
      method: 'post', path: '/sign-out', roles: 'public',
      async handler({ res }) {
        deps.sessions.clear(res);
        return { redirect: '/', status: 303 };
      },
    }),
  ];
}
