import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { roles, type Principal, type Role } from '../../src/lib/principal.js';
import { createHarness } from '../support/harness.js';
import { postForm, pageSpecsOf, sessionFor } from './web-support.js';
import { afterAll } from 'vitest';

const h = await createHarness();
afterAll(() => h.close());
const pages = pageSpecsOf(h);

const principalOf = (role: Role): Principal =>
  role === 'citizen' ? { role, subject: 'oidc:c', learnerId: randomUUID() }
    : role === 'provider' ? { role, subject: 'oidc:p', providerId: randomUUID() }
      : ({ role, subject: `oidc:${role}` } as Principal);

const concrete = (path: string) => path.replace(/:(\w+)/g, () => randomUUID());

describe.each(pages.map((p) => [`${p.method.toUpperCase()} ${p.path}`, p] as const))('%s', (_name, page) => {
  it.each([...roles, 'anonymous'] as const)('when a %s opens it with random ids and an empty form, then it answers below 500, and 2xx/3xx only for its roles', async (who) => {
    const browser = who === 'anonymous' ? { cookie: '', csrf: '' } : await sessionFor(h, principalOf(who));
    const path = concrete(page.path);
    const res = page.method === 'get'
      ? await request(h.app).get(path).set('Cookie', browser.cookie)
      : await postForm(h.app, path, browser.cookie, { csrf: browser.csrf });
    expect(res.status).toBeLessThan(500);
    const allowed = page.roles === 'public' || (who !== 'anonymous' && page.roles.includes(who));
    if (!allowed && page.method === 'get') expect(who === 'anonymous' ? [302] : [403]).toContain(res.status);
    if (!allowed && page.method === 'post') expect([401, 403]).toContain(res.status);
  });

  if (page.method === 'post') {
    it('when it is posted without the CSRF token, then 403', async () => {
      const browser = await sessionFor(h, principalOf(page.roles === 'public' ? 'citizen' : page.roles[0]!));
      const res = await postForm(h.app, concrete(page.path), browser.cookie, {});
      expect(res.status).toBe(403);
    });
  }
});
