import type { Express } from 'express';
import request from 'supertest';
import { sessionKeyOf } from '../../src/app.js';
import { defaultSignInClaimNames } from '../../src/web/auth/claims.js';
import { createSessionCodec } from '../../src/web/auth/session.js';
import type { Principal } from '../../src/lib/principal.js';
import { allPages } from '../../src/web/router.js';
import type { Harness } from '../support/harness.js';

/** The pages the harness's app mounts, as allPages() declares them. */
export const pageSpecsOf = (h: Harness) =>
  allPages({
    services: h.deps, clock: h.clock, logger: h.deps.logger, fingerprintSecret: 'x', claimNames: defaultSignInClaimNames,
    sessions: createSessionCodec(sessionKeyOf(h.deps.nationalIds), { secure: false }),
  });

/** A signed-in browser: the session cookie the sign-in callback would set for this principal, and its CSRF token. */
export async function sessionFor(h: Harness, principal: Principal): Promise<{ cookie: string; csrf: string }> {
  const codec = createSessionCodec(sessionKeyOf(h.deps.nationalIds), { secure: false });
  const session = codec.start(principal);
  let cookie = '';
  const res = {
    cookie: (name: string, value: string) => {
      cookie = `${name}=${encodeURIComponent(value)}`;
    },
  };
  await codec.write(res as never, session);
  return { cookie, csrf: session.csrf };
}

/** A form post as a browser sends it. */
export const postForm = (app: Express, path: string, cookie: string, fields: Record<string, string>) =>
  request(app).post(path).set('Cookie', cookie).type('form').send(new URLSearchParams(fields).toString());

/** The hidden fields of the form that posts to `action`, as the page rendered them. */
export function formFields(page: string, action: string): Record<string, string> {
  const form = new RegExp(`<form method="post" action="${action}"[^>]*>([\\s\\S]*?)</form>`).exec(page)?.[1];
  if (!form) throw new Error(`no form for ${action}`);
  return Object.fromEntries([...form.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}
