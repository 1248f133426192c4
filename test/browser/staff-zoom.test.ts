/// <reference lib="dom" />
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { learnerSpecs, nationalIdFor } from '../../src/seed/demo.js';
import { api, axeViolations, devToken, fitsWell, layoutProblems, screenshotDir, signIn, useBrowserService, zoomTextTo400, type RunningService } from './support.js';

/**
 * Every staff page (the provider desk, the finance console, the counter) at
 * 400% text: a 1280 px window whose root font size is four times larger, as
 * WCAG 1.4.4 and 1.4.10 ask. Nothing may scroll sideways or sit outside the
 * viewport (a wide table scrolls inside its own region), and no line may be
 * shorter than its text. One service boot; each role signs in through the
 * demo identity provider.
 */
let service: RunningService;
let browser: Browser;
/** The demo learner the counter officer serves: Citizen 2, Singapore. */
const LEARNER = 1;

const started = useBrowserService();

beforeAll(async () => {
  ({ service, browser } = started);
});

/** A page of the role signed in at 1280 px, each given path checked at 400% text; detail pages are reached through the first link of their list. */
async function staffSession(label: RegExp) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await signIn(page, service.base, label);
  return { page, close: () => context.close() };
}

const firstLink = async (page: Page, list: string, prefix: string) => {
  await page.goto(`${service.base}${list}`);
  const href = await page.locator(`main a[href^="${prefix}"]`).first().getAttribute('href', { timeout: 2_000 }).catch(() => null);
  return href ?? undefined;
};

async function problemsAt400(page: Page, paths: string[], shotName: string) {
  const problems: Record<string, unknown> = {};
  for (const p of paths) {
    const res = await page.goto(`${service.base}${p}`);
    expect(res?.status(), p).toBe(200);
    await zoomTextTo400(page);
    const r = await layoutProblems(page);
    if (!fitsWell(r)) problems[p] = r;
  }
  await page.goto(`${service.base}${paths[0]}`);
  await zoomTextTo400(page);
  await page.screenshot({ path: path.join(screenshotDir, `${shotName}-400pct.png`), fullPage: true });
  return problems;
}

describe('staff pages at 400% text', () => {
  it('when provider staff open every page of the desk with 400% text, then nothing scrolls sideways or is cut off', async () => {
    const providerId = service.providers.get('SG')!;
    const token = await devToken(service.dataDir, { role: 'provider', sub: `provider:${providerId}`, provider_id: providerId });
    const courses = await api(service.base, token, 'GET', `/v1/courses?providerId=${providerId}&limit=20`);
    const course = (courses.body.items as { id: string }[])[0]!;
    const startsAt = new Date(Date.now() + 40 * 86_400_000);
    const run = await api(service.base, token, 'POST', `/v1/courses/${course.id}/runs`, {
      startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 8 * 3_600_000).toISOString(), fee: '10000', currency: 'SGD', capacity: 30,
    });
    expect(run.status, JSON.stringify(run.body)).toBe(201);
    const enrolment = await api(service.base, token, 'POST', '/v1/enrolments', { learnerId: service.learners[LEARNER], courseRunId: run.body.id });
    expect(enrolment.status, JSON.stringify(enrolment.body)).toBe(201);

    const { page, close } = await staffSession(/Provider staff: Lion City Digital Academy/);
    const claim = await firstLink(page, '/provider/claims', '/provider/claims/');
    const paths = ['/provider', `/provider/runs/${run.body.id as string}`, `/provider/enrolments/${enrolment.body.id as string}`, '/provider/claims',
      ...(claim && !claim.includes('?') ? [claim] : []), '/provider/recoveries'];
    const problems = await problemsAt400(page, paths, 'provider');
    await close();
    expect(problems).toEqual({});
  });

  it('when a finance officer opens every page of the console with 400% text, then nothing scrolls sideways or is cut off', async () => {
    const { page, close } = await staffSession(/Finance officer 1/);
    const batch = await firstLink(page, '/finance/batches', '/finance/batches/');
    const paths = ['/finance/review', '/finance/batches', ...(batch ? [batch] : []), '/finance/statements', '/finance/exceptions',
      '/finance/reports/schemes', '/finance/reports/equity'];
    const problems = await problemsAt400(page, paths, 'finance');
    await close();
    expect(problems).toEqual({});
  });

  it('when a counter officer finds the learner and checks a course run for them, then the decision shows, axe finds nothing in five languages, and at 320 px and 400% text nothing scrolls sideways or is cut off', async () => {
    const admin = await devToken(service.dataDir, { role: 'admin', sub: 'admin-demo' });
    const learner = await api(service.base, admin, 'GET', `/v1/learners/${service.learners[LEARNER]}`);
    const nationalId = nationalIdFor(learnerSpecs[LEARNER]!, LEARNER, learner.body.dateOfBirth as string);
    const { page, close } = await staffSession(/Service-counter officer 1/);
    await page.goto(`${service.base}/counter`);
    await page.getByLabel('National id number').fill(nationalId);
    await page.getByLabel('Why are you looking the learner up?').fill('The learner asked about their credit');
    await page.getByLabel('The learner is here with me').check();
    await page.getByLabel('Passport').check();
    await page.getByRole('button', { name: 'Find the learner' }).click();
    await page.waitForURL(/\/counter\/visits\/[0-9a-f-]{36}$/);
    const visit = new URL(page.url()).pathname;

    // The eligibility check for the learner at the counter: search a course, open a run, read the decision.
    const courseTitle = (await api(service.base, admin, 'GET', '/v1/courses?limit=1')).body.items[0].title as string;
    await page.getByLabel('Words in the course title').fill(courseTitle);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/\/courses\?q=/);
    await page.screenshot({ path: path.join(screenshotDir, 'counter-check-courses.png'), fullPage: true });
    await page.getByRole('link', { name: /^Check their funding – / }).first().click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    const check = new URL(page.url()).pathname;
    expect(await page.locator('h1').textContent()).toMatch(/^Can the credit of .+ pay for this course\?$/);
    expect(await page.locator('main .notice').textContent()).toMatch(/^(Yes|No)\. Their credit can(not)? pay for this course\.$/);
    expect(await page.locator('main dl.summary').textContent()).toContain('The learner pays themselves');
    await page.screenshot({ path: path.join(screenshotDir, 'counter-check.png'), fullPage: true });
    const courseSearch = `${visit}/courses?q=${encodeURIComponent(courseTitle)}`;
    const found: Record<string, unknown> = {};
    for (const lang of ['en', 'ms', 'id', 'zh-Hans', 'ta']) {
      for (const p of [courseSearch, check]) {
        await page.goto(`${service.base}${p}${p.includes('?') ? '&' : '?'}lang=${lang}`);
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        const violations = await axeViolations(page);
        if (violations.length > 0) found[`${lang} ${p}`] = violations;
      }
    }
    await page.goto(`${service.base}${visit}?lang=en`);
    expect(found).toEqual({});
    await page.setViewportSize({ width: 320, height: 640 });
    const narrow: Record<string, unknown> = {};
    for (const p of [visit, courseSearch, check]) {
      await page.goto(`${service.base}${p}`);
      const r = await layoutProblems(page);
      if (!fitsWell(r)) narrow[p] = r;
    }
    await page.screenshot({ path: path.join(screenshotDir, 'counter-check-320px.png'), fullPage: true });
    expect(narrow).toEqual({});
    await page.setViewportSize({ width: 1280, height: 900 });

    const problems = await problemsAt400(page, [visit, '/counter', courseSearch, check], 'counter');

    // The check itself can fail: a fixed-width block at 400% text is caught.
    await page.evaluate(() => {
      const wide = document.createElement('div');
      wide.textContent = 'too wide';
      wide.style.minWidth = '90rem';
      document.querySelector('main')!.append(wide);
    });
    await zoomTextTo400(page);
    expect(fitsWell(await layoutProblems(page))).toBe(false);
    await close();
    expect(problems).toEqual({});
  });
});

describe('the staff home page', () => {
  it.each([
    ['provider', /Provider staff: Lion City Digital Academy/],
    ['finance', /^Finance officer 1$/],
    ['counter', /Service-counter officer 1/],
    ['admin', /^Administrator$/],
  ] as const)('when %s signs in, then the home page has no axe violations in any of the five languages, and fits at 320 px and at four times the text size', async (role, label) => {
    const { page, close } = await staffSession(label);
    const found: Record<string, unknown> = {};
    for (const lang of ['en', 'ms', 'id', 'zh-Hans', 'ta']) {
      const res = await page.goto(`${service.base}/?lang=${lang}`);
      expect(res?.status()).toBe(200);
      const violations = await axeViolations(page);
      if (violations.length > 0) found[lang] = violations;
    }
    await page.goto(`${service.base}/?lang=en`);
    await page.screenshot({ path: path.join(screenshotDir, `home-${role}.png`), fullPage: true });
    const problems = await problemsAt400(page, ['/'], `home-${role}`);
    await page.setViewportSize({ width: 320, height: 640 });
    await page.goto(`${service.base}/`);
    const narrow = await layoutProblems(page);
    await close();
    expect(found).toEqual({});
    expect(problems).toEqual({});
    expect(fitsWell(narrow)).toBe(true);
  });
});
