import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import express from 'express';
import { exportJWK, generateKeyPair } from 'jose';
import type ProviderClass from 'oidc-provider';
import type { Logger } from '../../lib/logger.js';
import { html } from '../html.js';

/** A person the demo identity provider can sign in, with the claims its ID token carries. */
export interface DemoUser {
  id: string;
  /** What the login form shows: a role and a name, never a national id. */
  label: string;
  claims: Record<string, string>;
}

export interface LocalIdentityProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  close(): Promise<void>;
}

/**
 * A development identity provider (oidc-provider) on 127.0.0.1, for the
 * embedded default: the demo users sign in with the real authorisation-code
 * flow, through a plain login form (pick a demo user; no password, it is a
 * demo). Never started with OIDC_ISSUER set or in production.
 */
export async function startLocalIdentityProvider(options: {
  port: number; redirectUri: string; users: DemoUser[]; logger: Logger;
}): Promise<LocalIdentityProvider> {
  const clientId = 'learning-credits-web';
  const clientSecret = randomBytes(24).toString('base64url');
  const users = new Map(options.users.map((u) => [u.id, u]));
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const issuer = `http://127.0.0.1:${port}`;
  const claimNames = [...new Set(options.users.flatMap((u) => Object.keys(u.claims)))];
  // A signing key of its own per start (RS256, the ID tokens' default): nothing outlives the process.
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwks = { keys: [{ ...(await exportJWK(privateKey)), kid: `demo-${randomBytes(4).toString('hex')}`, alg: 'RS256', use: 'sig' }] };

  // oidc-provider writes its notices with console.warn and console.info (one says Node 20 is not its
  // supported runtime: it runs here, and the browser tests prove the flow). The service's output is
  // JSON lines, so they go to the logger at debug instead, while it loads and starts.
  const quiet = { warn: console.warn, info: console.info };
  console.warn = console.info = (...args: unknown[]) => options.logger.debug({ from: 'oidc-provider' }, args.map(String).join(' '));
  let Provider: typeof ProviderClass;
  try {
    Provider = (await import('oidc-provider')).default;
  } finally {
    Object.assign(console, quiet);
  }
  console.warn = console.info = (...args: unknown[]) => options.logger.debug({ from: 'oidc-provider' }, args.map(String).join(' '));
  const provider = (() => { try { return new Provider(issuer, {
    clients: [{
      client_id: clientId, client_secret: clientSecret, redirect_uris: [options.redirectUri],
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_basic',
    }],
    jwks,
    pkce: { required: () => true },
    claims: { openid: ['sub', ...claimNames] },
    // The service reads its claims from the ID token, as from Keycloak with a mapper.
    conformIdTokenClaims: false,
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx: unknown, id: string) => {
      const user = users.get(id);
      return user ? { accountId: id, claims: async () => ({ sub: id, ...user.claims }) } : undefined;
    },
    // A first-party client: no consent screen, the openid scope is granted.
    loadExistingGrant: async (ctx: any) => {
      const existing = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
      if (existing) return ctx.oidc.provider.Grant.find(existing);
      const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
      grant.addOIDCScope('openid');
      await grant.save();
      return grant;
    },
  }); } finally { Object.assign(console, quiet); } })();

  const app = express();
  app.disable('x-powered-by');
  app.use('/interaction', (_req, res, next) => {
    res.setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:*; frame-ancestors 'none'");
    res.setHeader('Cache-Control', 'no-store');
    next();
  });
  app.get('/interaction/:uid', async (req, res, next) => {
    try {
      const details = await provider.interactionDetails(req, res);
      res.type('html').send(loginPage(details.uid, [...users.values()]).text);
    } catch (err) {
      next(err);
    }
  });
  app.post('/interaction/:uid/login', express.urlencoded({ extended: false, limit: '4kb' }), async (req, res, next) => {
    try {
      const accountId = typeof req.body?.user === 'string' ? req.body.user : '';
      if (!users.has(accountId)) {
        const details = await provider.interactionDetails(req, res);
        res.status(400).type('html').send(loginPage(details.uid, [...users.values()], 'Choose a demo user').text);
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId } }, { mergeWithLastSubmission: false });
    } catch (err) {
      next(err);
    }
  });
  app.use(provider.callback());
  server.on('request', app);
  options.logger.info({ issuer, users: users.size }, `demo identity provider listening on ${issuer}`);
  return {
    issuer, clientId, clientSecret,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function loginPage(uid: string, users: DemoUser[], error?: string) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo sign-in</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:1rem auto;padding:0 1rem;line-height:1.5}
label{display:block;padding:.5rem;border:1px solid #767676;margin:.25rem 0;border-radius:4px}
button{font-size:1.125rem;padding:.6rem 1.2rem;margin-top:1rem;background:#5925dc;color:#fff;border:0;border-radius:4px}
:focus-visible{outline:3px solid #ffbf47;outline-offset:2px}.error{color:#b30000;font-weight:bold}</style></head>
<body><main><h1>Demo identity provider</h1>
<p>This stands in for Singpass or your organisation's sign-in, on this machine only.</p>
${error ? html`<p class="error" role="alert" id="error">${error}</p>` : ''}
<form method="post" action="/interaction/${uid}/login">
<fieldset><legend>Sign in as</legend>
${users.map((u, i) => html`<label><input type="radio" name="user" value="${u.id}"${i === 0 ? html` checked` : ''}> ${u.label}</label>`)}
</fieldset>
<button type="submit">Sign in</button>
</form></main></body></html>`;
}
