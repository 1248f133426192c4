/// <reference lib="dom" />
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { learnerSpecs, nationalIdFor } from '../../src/seed/demo.js';
import { api, axeViolations, demoProviderToken, devToken, screenshotDir, signIn, useBrowserService, type RunningService } from './support.js';

let service: RunningService;
let browser: Browser;
let providerToken: string;
let adminToken: string;
const runs: { id: string; title: string }[] = [];
/** The demo learner the officer serves: Citizen 2, a Singapore learner with SGD credit. */
const LEARNER = 1;
let nationalId: string;

const started = useBrowserService();

beforeAll(async () => {
  ({ service, browser } = started);
  const providerId = service.providers.get('SG')!;
  providerToken = await demoProviderToken(service);
  adminToken = await devToken(service.dataDir, { role: 'admin', sub: 'admin-demo' });
  const courses = await api(service.base, providerToken, 'GET', `/v1/courses?providerId=${providerId}&limit=20`);
  const first = (courses.body.items as { id: string; title: string }[])[0]!;
  for (let i = 0; i < 3; i += 1) {
    const startsAt = new Date(Date.now() + (40 + i) * 86_400_000);
    const added = await api(service.base, providerToken, 'POST', `/v1/courses/${first.id}/runs`, {
      startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 8 * 3_600_000).toISOString(), fee: '10000', currency: 'SGD', capacity: 30,
    });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
    runs.push({ id: added.body.id as string, title: first.title });
  }
  // The number on the learner's card: the seed's rule over their stored date of birth, as the demo identity provider rebuilds it.
  const learner = await api(service.base, adminToken, 'GET', `/v1/learners/${service.learners[LEARNER]}`);
  nationalId = nationalIdFor(learnerSpecs[LEARNER]!, LEARNER, learner.body.dateOfBirth as string);
});

async function providerRequests() {
  const run = runs.shift()!;
  const res = await api(service.base, providerToken, 'POST', '/v1/enrolments', { learnerId: service.learners[LEARNER], courseRunId: run.id });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { enrolmentId: res.body.id as string, course: run.title };
}

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });

/** Presses Tab until the focused element matches, as a keyboard user would move. */
async function tabTo(page: Page, matches: (el: { id: string; label: string; name: string; value: string }) => boolean, limit = 60) {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    const el = await page.evaluate(() => {
      const a = document.activeElement as HTMLInputElement | null;
      return { id: a?.id ?? '', label: a?.getAttribute('aria-label') ?? '', name: a?.getAttribute('name') ?? '', value: a?.value ?? '' };
    });
    if (matches(el)) return;
  }
  throw new Error('the element was not reached with Tab');
}

describe('a service-counter officer in the browser', () => {
  let context: BrowserContext;
  let page: Page;
  let visitPath: string;
  let enrolment: { enrolmentId: string; course: string };

  beforeAll(async () => {
    context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
    page = await context.newPage();
  });
  afterAll(() => context.close());

  it('when the officer signs in through OIDC and finds the learner with the keyboard alone, then the learner\'s summary opens', async () => {
    enrolment = await providerRequests();
    await signIn(page, service.base, /Service-counter officer 1/);
    await page.goto(`${service.base}/counter`);
    expect(await page.locator('h1').textContent()).toBe('Find the learner at the counter');
    await shot(page, 'counter-find');
    // An empty look-up first: the error summary names each field.
    await tabTo(page, (el) => el.id === 'nationalId');
    await page.keyboard.press('Enter');
    await page.waitForLoadState();
    expect(await page.locator('.error-summary').textContent()).toContain('Say why you are looking the learner up');
    await shot(page, 'counter-find-errors');

    await tabTo(page, (el) => el.id === 'nationalId');
    await page.keyboard.type(nationalId);
    await page.keyboard.press('Tab');
    await page.keyboard.type('The learner asked to answer a training provider');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/counter\/visits\/[0-9a-f-]{36}$/);
    visitPath = new URL(page.url()).pathname;
    expect(await page.locator('h1').textContent()).toBe('Acting for Muhammad Hafiz bin Ismail');
    expect(await page.locator('main').textContent()).not.toContain(nationalId);
    await shot(page, 'counter-visit');
  });

  it('when the officer approves without ticking the box, then the page names both fields; with them, keyboard only, the credit is reserved and the history names the officer', async () => {
    const approve = `Approve for the learner: ${enrolment.course}`;
    await tabTo(page, (el) => el.label === approve);
    await page.keyboard.press('Enter');
    await page.waitForURL(/failed=/);
    expect(await page.locator('.error-summary').textContent()).toContain('Tick the box to confirm that the learner is here and agrees');
    expect(await page.locator('.error-summary').textContent()).toContain('Choose how you checked the learner\'s identity');
    await shot(page, 'counter-visit-errors');

    await tabTo(page, (el) => el.id === `e${enrolment.enrolmentId}-present`);
    expect(await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle)).not.toBe('none');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space');
    await tabTo(page, (el) => el.label === approve, 3);
    await page.keyboard.press('Enter');
    await page.waitForURL(/done=approved/);
    expect(await page.getByRole('status').textContent()).toContain('The learner approved the enrolment.');
    expect(await page.locator('tbody').textContent()).toContain('Agreed at a service counter with officer oidc:counter-1');
    await shot(page, 'counter-visit-approved');
    const status = await api(service.base, adminToken, 'GET', `/v1/enrolments/${enrolment.enrolmentId}`);
    expect(status.body.status).toBe('reserved');
    const audit = await api(service.base, adminToken, 'GET', `/v1/audit-events?entityType=enrolment&entityId=${enrolment.enrolmentId}`);
    expect((audit.body.items as { action: string; actorRole: string; actorId: string }[]).find((e) => e.action === 'enrolment.consented'))
      .toMatchObject({ actorRole: 'counter', actorId: 'oidc:counter-1' });
  });

  it('when every counter page is checked with axe in each of the five languages, then there are no violations', async () => {
    const waiting = await providerRequests();
    const paths = ['/counter', visitPath, `${visitPath}?failed=${waiting.enrolmentId}&missing=learnerPresent,identityCheck`];
    const found: Record<string, unknown> = {};
    for (const lang of ['en', 'ms', 'id', 'zh-Hans', 'ta']) {
      for (const p of paths) {
        await page.goto(`${service.base}${p}${p.includes('?') ? '&' : '?'}lang=${lang}`);
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        const violations = await axeViolations(page);
        if (violations.length > 0) found[`${lang} ${p}`] = violations;
      }
      // The look-up form with its error summary, as a POST answers it.
      await page.goto(`${service.base}/counter?lang=${lang}`);
      await page.getByRole('button').last().click();
      await page.waitForLoadState();
      expect(await page.locator('.error-summary').count()).toBe(1);
      const violations = await axeViolations(page);
      if (violations.length > 0) found[`${lang} POST /counter/visits`] = violations;
      await page.goto(`${service.base}${visitPath}?lang=${lang}`);
      await shot(page, `counter-visit-${lang}`);
    }
    await page.goto(`${service.base}/counter?lang=en`);
    expect(found).toEqual({});
  });

  it('when the counter pages are 320 px wide, then nothing scrolls sideways and axe still finds nothing', async () => {
    await page.setViewportSize({ width: 320, height: 640 });
    for (const p of ['/counter', visitPath]) {
      await page.goto(`${service.base}${p}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${p} scrolls sideways at 320 px`).toBeLessThanOrEqual(0);
      expect(await axeViolations(page), p).toEqual([]);
    }
    await shot(page, 'counter-visit-320px');
    await page.goto(`${service.base}/counter`);
    await shot(page, 'counter-find-320px');
  });
});

describe('without JavaScript', () => {
  it('when script is off, then the officer still finds the learner and declines a request for them', async () => {
    const context = await browser.newContext({ javaScriptEnabled: false });
    const page = await context.newPage();
    await signIn(page, service.base, /Service-counter officer 2/);
    const { enrolmentId, course } = await providerRequests();
    await page.goto(`${service.base}/counter`);
    await page.getByLabel('National id number').fill(nationalId);
    await page.getByLabel('Why are you looking the learner up?').fill('The learner asked to decline a request');
    await page.getByLabel('The learner is here with me').check();
    await page.getByLabel('Passport').check();
    await page.getByRole('button', { name: 'Find the learner' }).click();
    await page.waitForURL(/\/counter\/visits\//);
    await page.locator(`#e${enrolmentId}-present`).check();
    await page.locator(`#e${enrolmentId}-idcheck-passport`).check();
    await page.locator(`#e${enrolmentId}`).getByRole('button', { name: `Decline for the learner: ${course}` }).click();
    await page.waitForURL(/done=declined/);
    const status = await api(service.base, adminToken, 'GET', `/v1/enrolments/${enrolmentId}`);
    expect(status.body.status).toBe('declined');
    await context.close();
  });
});
