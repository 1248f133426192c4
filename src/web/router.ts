import express, { type Request, type Response, type Router } from 'express';
import helmet from 'helmet';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { ServiceDeps } from '../modules/deps.js';
import type { RateLimiter } from '../http/rate-limits.js';
import { toProblem } from '../http/error-handler.js';
import { authPages } from './auth/pages.js';
import type { SignInClaimNames } from './auth/claims.js';
import type { SignInClient } from './auth/oidc-client.js';
import { cookieValue, csrfMatches, type SessionCodec } from './auth/session.js';
import { loadAssets } from './assets.js';
import { appealPages } from './citizen/appeals.js';
import { citizenPages } from './citizen/pages.js';
import { contactPages } from './citizen/contact-page.js';
import { myDataPages } from './citizen/my-data.js';
import { readMultipart } from './multipart.js';
import { providerPages } from './provider/pages.js';
import { counterPages } from './counter/pages.js';
import { recordPages } from './record/pages.js';
import { trackerPages } from './tracker/pages.js';
import { financePages } from './finance/pages.js';
import { html } from './html.js';
import { chooseLanguage, formatterFor, translatorFor, type Lang } from './i18n.js';
import { layout } from './layout.js';
import type { PageContext, PageReply, PageSpec } from './page.js';

export const LANG_COOKIE = 'lc_lang';

export interface WebDeps {
  services: ServiceDeps;
  clock: Clock;
  logger: Logger;
  sessions: SessionCodec;
  /** Unset: sign-in is not configured (production without OIDC_ISSUER); the pages say so. */
  signIn?: SignInClient | undefined;
  claimNames: SignInClaimNames;
  /** The key of request fingerprints kept with idempotency keys, the API's own. */
  fingerprintSecret: string;
  rateLimiter?: RateLimiter | undefined;
  /** Origins forms may post to and the browser is sent to for sign-in (the issuer's). */
  signInOrigin?: string | undefined;
  /** The deployment's theme CSS (WEB_THEME_CSS), appended to the stylesheet. */
  themeCss?: string | undefined;
}

/** Every page of the service, each declaring its roles: the access test walks this list. */
export function allPages(deps: WebDeps): PageSpec[] {
  return [
    ...authPages(deps), ...citizenPages(deps), ...appealPages(deps), ...contactPages(deps), ...myDataPages(deps), ...trackerPages(deps), ...recordPages(deps), ...providerPages(deps), ...financePages(deps), ...counterPages(deps),
  ];
}

/**
 * The pages' own Content-Security-Policy: scripts and styles from this origin
 * only (no inline script or style), forms to this origin and the identity
 * provider's, no framing. The API docs keep helmet's default without CSP.
 */
function pageCsp(signInOrigin: string | undefined) {
  return helmet.contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'none'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'], fontSrc: ["'self'"],
      connectSrc: ["'self'"], formAction: ["'self'", ...(signInOrigin ? [signInOrigin] : [])], frameAncestors: ["'none'"],
      baseUri: ["'none'"], objectSrc: ["'none'"], manifestSrc: ["'self'"],
    },
  });
}

const errorBody = (t: PageContext['t'], message: string) => html`<h1>${t('error.title')}</h1><p>${message}</p><p><a href="/">${t('service.name')}</a></p>`;

export function createWebRouter(deps: WebDeps): Router {
  const router = express.Router();
  const assets = loadAssets(deps.themeCss);
  const csp = pageCsp(deps.signInOrigin);
  const form = express.urlencoded({ extended: false, limit: '8kb', parameterLimit: 20 });

  for (const asset of [assets.css, assets.js]) {
    router.get(asset.url, (_req, res) => {
      res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      res.type(asset.type).send(asset.body);
    });
  }

  const send = (ctx: PageContext, reply: PageReply) => {
    if ('redirect' in reply) {
      ctx.res.redirect(reply.status ?? 303, reply.redirect);
      return;
    }
    if ('raw' in reply) {
      for (const [name, value] of Object.entries(reply.headers ?? {})) ctx.res.setHeader(name, value);
      ctx.res.status(reply.status ?? 200).type(reply.type).send(String(reply.raw));
      return;
    }
    const page = layout({
      title: reply.title, body: reply.body, lang: ctx.lang, t: ctx.t, principal: ctx.principal, csrf: ctx.csrf, path: ctx.req.path,
      assets: { css: assets.css.url, js: assets.js.url },
    });
    ctx.res.status(reply.status ?? 200).type('html').send(page.text);
  };

  for (const page of allPages(deps)) {
    const parse = page.formBytes ? express.urlencoded({ extended: false, limit: page.formBytes, parameterLimit: 20 }) : form;
    const handler = async (req: Request, res: Response) => {
      res.setHeader('Cache-Control', 'no-store');
      const lang: Lang = chooseLanguage(req.query.lang, cookieValue(req, LANG_COOKIE), req.get('accept-language'));
      if (req.query.lang === lang) res.cookie(LANG_COOKIE, lang, { httpOnly: true, sameSite: 'lax', path: '/', maxAge: 365 * 24 * 3600 * 1000, secure: req.secure });
      res.setHeader('Content-Language', lang);
      const session = await deps.sessions.read(req);
      const ctx: PageContext = {
        principal: session?.principal, session, lang, t: await translatorFor(lang), fmt: formatterFor(lang), csrf: session?.csrf ?? '',
        requestId: String(req.id), log: req.log, req, res,
      };
      try {
        if (page.method === 'post') {
          await new Promise<void>((resolve, reject) => parse(req, res, (err?: unknown) => (err ? reject(err) : resolve())));
          if (page.upload) await readMultipart(req, page.upload);
          // A form without the session's token changes nothing: refused before anything else runs.
          if (!csrfMatches(session, (req.body as Record<string, unknown> | undefined)?.csrf)) {
            send(ctx, { status: 403, title: ctx.t('error.title'), body: errorBody(ctx.t, ctx.t('error.csrf')) });
            return;
          }
        }
        if (page.roles !== 'public') {
          if (!session) {
            if (page.method === 'get') {
              send(ctx, { redirect: `/sign-in?returnTo=${encodeURIComponent(req.originalUrl)}`, status: 302 });
            } else {
              send(ctx, { status: 401, title: ctx.t('error.title'), body: errorBody(ctx.t, ctx.t('error.signInFirst')) });
            }
            return;
          }
          if (!page.roles.includes(session.principal.role)) {
            send(ctx, { status: 403, title: ctx.t('error.title'), body: errorBody(ctx.t, ctx.t('error.forbidden')) });
            return;
          }
        }
        send(ctx, await page.handler(ctx));
      } catch (err) {
        const problem = toProblem(err, req.log);
        const message = problem.status === 404 ? ctx.t('error.notFound') : problem.status === 403 ? ctx.t('error.forbidden') : ctx.t('error.unexpected');
        send(ctx, { status: problem.status === 400 || problem.status === 422 ? 400 : problem.status, title: ctx.t('error.title'), body: errorBody(ctx.t, message) });
      }
    };
    router[page.method](page.path, csp, handler);
  }
  return router;
}
