/// <reference lib="dom" />
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, axeViolations, demoProviderToken, devToken, firstLoadBytes, screenshotDir, signIn, useBrowserService, type RunningService } from './support.js';

let service: RunningService;
let browser: Browser;
let providerToken: string;
/** Runs of the Singapore demo provider a request can be made for, used one per scenario. */
const runs: { id: string; title: string }[] = [];

const started = useBrowserService();

beforeAll(async () => {
  ({ service, browser } = started);
  const providerId = service.providers.get('SG')!;
  providerToken = await demoProviderToken(service);
  // Runs of its own for each scenario, added by the provider through the API: SGD 100.00 each, so the demo citizens' SGD 500.00 covers several.
  const courses = await api(service.base, providerToken, 'GET', `/v1/courses?providerId=${providerId}&limit=20`);
  const first = (courses.body.items as { id: string; title: string }[])[0]!;
  for (let i = 0; i < 6; i += 1) {
    const startsAt = new Date(Date.now() + (30 + i) * 86_400_000);
    const added = await api(service.base, providerToken, 'POST', `/v1/courses/${first.id}/runs`, {
      startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 8 * 3_600_000).toISOString(), fee: '10000', currency: 'SGD', capacity: 30,
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    runs.push({ id: added.body.id as string, title: first.title });
  }
});

/** A provider asks, through the API with its bearer token, to enrol a demo learner on the next unused run. */
async function providerRequests(learnerIndex: number) {
  const run = runs.shift()!;
  const res = await api(service.base, providerToken, 'POST', '/v1/enrolments', { learnerId: service.learners[learnerIndex], courseRunId: run.id });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { enrolmentId: res.body.id as string, course: run.title };
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });

describe('a citizen in the browser', () => {
  let context: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    page = await context.newPage();
  });
  afterAll(() => context.close());

  it('when a citizen signs in through OIDC, then the portal shows their credit', async () => {
    await page.goto(`${service.base}/`);
    await shot(page, 'sign-in');
    await signIn(page, service.base, /Citizen 2:/);
    expect(await page.locator('h1').textContent()).toBe('My credit');
    expect(await page.locator('main').textContent()).toContain('You can spend');
    await shot(page, 'credit');
  });

  it('when a provider requests an enrolment through the API and the citizen approves it, then the history shows the reservation', async () => {
    const { course } = await providerRequests(1);
    await page.goto(`${service.base}/enrolments`);
    await shot(page, 'enrolments');
    await page.getByRole('button', { name: `Approve the enrolment on ${course}` }).click();
    await page.waitForURL(/done=approved/);
    expect(await page.getByRole('status').textContent()).toContain('You approved the enrolment.');
    await shot(page, 'enrolment-approved');
    await page.goto(`${service.base}/history`);
    const first = page.locator('tbody tr').first();
    expect(await first.textContent()).toContain(`Reserved for ${course}`);
    expect(await first.locator('.tag').textContent()).toBe('Reserved');
    await shot(page, 'history');
  });

  it('when the citizen searches courses and checks one, then the page shows the decision and the co-payment', async () => {
    await page.goto(`${service.base}/courses?q=Python`);
    await shot(page, 'courses');
    await page.getByRole('link', { name: /Check my funding for/ }).first().click();
    expect(await page.locator('h1').textContent()).toBe('Can my credit pay for this course?');
    expect(await page.locator('main').textContent()).toContain('You pay yourself');
    await shot(page, 'eligibility');
  });

  it('when every citizen page is checked with axe in each of the five languages, then there are no violations', async () => {
    await page.goto(`${service.base}/courses`);
    const runHref = await page.locator('a[href^="/courses/runs/"]').first().getAttribute('href');
    // A request waiting, so that the enrolments page is checked with its approve and decline forms.
    await providerRequests(1);
    const paths = ['/', '/history', '/enrolments', '/courses', runHref!];
    const found: Record<string, unknown> = {};
    for (const lang of ['en', 'ms', 'id', 'zh-Hans', 'ta']) {
      for (const p of paths) {
        await page.goto(`${service.base}${p}${p.includes('?') ? '&' : '?'}lang=${lang}`);
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        const violations = await axeViolations(page);
        if (violations.length > 0) found[`${lang} ${p}`] = violations;
      }
      await page.goto(`${service.base}/?lang=${lang}`);
      await shot(page, `credit-${lang}`);
    }
    await page.goto(`${service.base}/?lang=en`);
    expect(found).toEqual({});
  });

  it('when the pages are 320 px wide (as at 400% zoom of a 1280 px window), then nothing scrolls sideways and axe still finds nothing', async () => {
    await page.setViewportSize({ width: 320, height: 640 });
    for (const p of ['/', '/history', '/enrolments', '/courses']) {
      await page.goto(`${service.base}${p}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${p} scrolls sideways at 320 px`).toBeLessThanOrEqual(0);
      expect(await axeViolations(page), p).toEqual([]);
    }
    await page.goto(`${service.base}/`);
    await shot(page, 'credit-320px');
    await page.setViewportSize({ width: 390, height: 844 });
  });

  it('when the citizen uses only the keyboard, then they can approve a request', async () => {
    const { enrolmentId, course } = await providerRequests(1);
    await page.goto(`${service.base}/enrolments`);
    const target = `Approve the enrolment on ${course}`;
    let reached = false;
    for (let i = 0; i < 40 && !reached; i += 1) {
      await page.keyboard.press('Tab');
      reached = (await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '')) === target;
    }
    expect(reached, 'the approve button is reachable with Tab').toBe(true);
    // The focus is visible (WCAG 2.4.7): an outline is drawn.
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    await page.keyboard.press('Enter');
    await page.waitForURL(/done=approved/);
    const status = await api(service.base, await devToken(service.dataDir, { role: 'admin', sub: 'admin-demo' }), 'GET', `/v1/enrolments/${enrolmentId}`);
    expect(status.body.status).toBe('reserved');
  });

  it('when the first page loads, then it is under 150 KB compressed', async () => {
    const fresh = await browser.newContext();
    const anonymous = await firstLoadBytes(fresh, `${service.base}/`);
    await fresh.addCookies(await context.cookies(service.base));
    const signedIn = await firstLoadBytes(fresh, `${service.base}/history`);
    await fresh.close();
    process.stdout.write(`first load: sign-in page ${anonymous.files} files, ${anonymous.raw} B (${anonymous.gzip} B gzip); history ${signedIn.files} files, ${signedIn.raw} B (${signedIn.gzip} B gzip)\n`);
    expect(anonymous.gzip).toBeLessThan(150 * 1024);
    expect(signedIn.gzip).toBeLessThan(150 * 1024);
  });
});

describe('without JavaScript', () => {
  it('when script is off, then a citizen still signs in and approves a request', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page, service.base, /Citizen 3:/);
    const { enrolmentId, course } = await providerRequests(2);
    await page.goto(`${service.base}/enrolments`);
    await page.getByRole('button', { name: `Approve the enrolment on ${course}` }).click();
    await page.waitForURL(/done=approved/);
    expect(await page.getByRole('status').textContent()).toContain('You approved the enrolment.');
    const status = await api(service.base, await devToken(service.dataDir, { role: 'admin', sub: 'admin-demo' }), 'GET', `/v1/enrolments/${enrolmentId}`);
    expect(status.body.status).toBe('reserved');
    await context.close();
  });

  it('when a form is replayed without its CSRF token, then the browser gets 403 and nothing changes', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, service.base, /Citizen 4:/);
    const { enrolmentId } = await providerRequests(3);
    const res = await page.request.post(`${service.base}/enrolments/${enrolmentId}/consent`, { form: { idempotencyKey: crypto.randomUUID() }, maxRedirects: 0 });
    expect(res.status()).toBe(403);
    const status = await api(service.base, await devToken(service.dataDir, { role: 'admin', sub: 'admin-demo' }), 'GET', `/v1/enrolments/${enrolmentId}`);
    expect(status.body.status).toBe('requested');
    await context.close();
  });
});
