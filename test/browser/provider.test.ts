/// <reference lib="dom" />
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, axeViolations, demoProviderToken, devToken, repoRoot, screenshotDir, signIn, useBrowserService, type RunningService } from './support.js';

let service: RunningService;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let providerToken: string;
let workDir: string;
/** What the scenario made, for the axe and 320 px passes: every page of the desk with real content. */
const made: { runId?: string; enrolmentId?: string; claimId?: string } = {};

const started = useBrowserService();

beforeAll(async () => {
  workDir = await mkdtemp(path.join(tmpdir(), 'lc-provider-'));
  ({ service, browser } = started);
  providerToken = await demoProviderToken(service);
  context = await browser.newContext({ viewport: { width: 1024, height: 900 } });
  page = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });

/** The completion credential the credential CLI signs with the demo provider's seeded key, as a provider's own system would. */
async function credentialFromCli(enrolmentId: string, module?: number): Promise<string> {
  const env: Record<string, string | undefined> = { ...process.env, DATA_DIR: service.dataDir, NODE_ENV: 'development' };
  for (const k of ['DATABASE_URL', 'TEST_DATABASE_URL', 'AUTH_JWKS']) delete env[k];
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/credential.ts', '--enrolment', enrolmentId, ...(module ? ['--module', String(module)] : []), '--url', service.base], { cwd: repoRoot, env });
  return stdout.trim().split('\n').at(-1)!;
}

describe('provider staff at the desk', () => {
  it('when staff sign in, request an enrolment the learner consents to, upload the signed credential, and two finance officers approve the held claim, then the page shows it approved', async () => {
    await signIn(page, service.base, /Provider staff: Lion City Digital Academy/);
    await page.getByRole('link', { name: 'Course runs' }).first().click();
    expect(await page.locator('h1').textContent()).toBe('Course runs and enrolments');

    // A run that starts in a few seconds: requested and consented before it starts, claimed once it has started.
    const courses = await api(service.base, providerToken, 'GET', `/v1/courses?providerId=${service.providers.get('SG')}&limit=20`);
    const course = (courses.body.items as { id: string; title: string }[])[0]!;
    const startsAt = new Date(Date.now() + 20_000);
    const run = await api(service.base, providerToken, 'POST', `/v1/courses/${course.id}/runs`, {
      startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + 8 * 3_600_000).toISOString(), fee: '10000', currency: 'SGD', capacity: 30,
    });
    expect(run.status, JSON.stringify(run.body)).toBe(201);
    made.runId = run.body.id as string;
    await page.reload();
    await shot('provider-runs');
    await page.locator(`a[href="/provider/runs/${made.runId}"]`).click();

    // A mistyped id first: the error summary names the field.
    await page.getByLabel('Learner id').fill('S1234567D');
    await page.getByRole('button', { name: 'Request the enrolment' }).click();
    expect(await page.getByRole('alert').textContent()).toContain('Enter the learner id in the right form');
    await shot('provider-request-error');
    const learnerId = service.learners[1]!;
    await page.getByLabel('Learner id').fill(learnerId);
    await page.getByRole('button', { name: 'Request the enrolment' }).click();
    await page.waitForURL(/\/provider\/enrolments\/[0-9a-f-]{36}\?done=requested/);
    expect(await page.getByRole('status').textContent()).toContain('Nothing is reserved until the learner approves it.');
    expect(await page.locator('main').textContent()).toContain('Waiting for the learner');
    made.enrolmentId = /enrolments\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    await shot('provider-enrolment-requested');

    // The learner consents (through the API here; the citizen portal's test does it in the page).
    const citizen = await devToken(service.dataDir, { role: 'citizen', sub: `citizen:${learnerId}`, learner_id: learnerId });
    const consent = await api(service.base, citizen, 'POST', `/v1/me/enrolments/${made.enrolmentId}/consent`, {});
    expect(consent.status, JSON.stringify(consent.body)).toBe(200);
    await page.reload();
    expect(await page.locator('main').textContent()).toContain('Approved: credit reserved');

    // Once the run has started, the provider signs the completion credential (the CLI, with the demo key) and uploads it.
    await new Promise((r) => setTimeout(r, Math.max(0, startsAt.getTime() + 1_500 - Date.now())));
    const file = path.join(workDir, 'credential.jwt');
    await writeFile(file, `${await credentialFromCli(made.enrolmentId)}\n`);
    await page.reload();
    await shot('provider-claim-form');
    await page.getByLabel('Completion credential file').setInputFiles(file);
    await page.getByRole('button', { name: 'Submit the claim' }).click();
    await page.waitForURL(/\/provider\/claims\/[0-9a-f-]{36}\?done=submitted/);
    made.claimId = /claims\/([0-9a-f-]{36})/.exec(page.url())![1]!;
    // Completed hours before the run could end: valid but suspicious, so held for two finance officers.
    expect(await page.locator('.lead').textContent()).toBe('In review');
    expect(await page.locator('main').textContent()).toContain('On hold: the credential was issued before the course run ended');
    await shot('provider-claim-in-review');

    const first = await devToken(service.dataDir, { role: 'finance', sub: 'finance-1' });
    const second = await devToken(service.dataDir, { role: 'finance', sub: 'finance-2' });
    const proposed = await api(service.base, first, 'POST', `/v1/claims/${made.claimId}/decision`, { decision: 'approve', reason: 'attendance sheets checked with the trainer' });
    expect(proposed.status, JSON.stringify(proposed.body)).toBe(202);
    const approved = await api(service.base, second, 'POST', `/v1/approvals/${proposed.body.approval.id}/approve`, {});
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);

    await page.goto(`${service.base}/provider/claims/${made.claimId}`);
    expect(await page.locator('.lead').textContent()).toBe('Approved');
    expect(await page.locator('main').textContent()).toContain('attendance sheets checked with the trainer');
    await shot('provider-claim-approved');
    await page.goto(`${service.base}/provider/claims`);
    expect(await page.locator('main').textContent()).toContain('Approved');
    await shot('provider-claims');
    await page.goto(`${service.base}/provider/recoveries`);
    await shot('provider-recoveries');
  });

  it('when staff claim module 1 and then module 2 of a modular course, then each claim is approved and the enrolment page shows each module\'s status', async () => {
    const admin = await devToken(service.dataDir, { role: 'admin', sub: 'admin-demo' });
    const course = await api(service.base, providerToken, 'POST', '/v1/courses', {
      code: `MOD${Date.now().toString(36).toUpperCase()}`, title: 'Data Analytics in modules', category: 'data-analytics', hours: 24,
      modules: [
        { title: 'Spreadsheets', achievementId: 'urn:lion-city:achievement:analytics-spreadsheets', shareBps: 2500 },
        { title: 'SQL', achievementId: 'urn:lion-city:achievement:analytics-sql', shareBps: 3000 },
        { title: 'Dashboards', achievementId: 'urn:lion-city:achievement:analytics-dashboards', shareBps: 4500 },
      ],
    });
    expect(course.status, JSON.stringify(course.body)).toBe(201);
    const schemes = await api(service.base, admin, 'GET', '/v1/schemes?limit=50');
    const scheme = (schemes.body.items as { id: string; name: string }[]).find((x) => x.name === 'SkillsFuture Credit')!;
    expect((await api(service.base, admin, 'POST', `/v1/courses/${course.body.id}/approvals`, { schemeId: scheme.id })).status).toBeLessThan(300);
    // A short run: requested and consented before it starts; every module claimed once it has ended, so none is ahead of the run.
    const startsAt = new Date(Date.now() + 15_000);
    const endsAt = new Date(startsAt.getTime() + 5_000);
    const run = await api(service.base, providerToken, 'POST', `/v1/courses/${course.body.id}/runs`, {
      startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), fee: '10000', currency: 'SGD', capacity: 30,
    });
    expect(run.status, JSON.stringify(run.body)).toBe(201);
    const learnerId = service.learners[2]!;
    const requested = await api(service.base, providerToken, 'POST', '/v1/enrolments', { learnerId, courseRunId: run.body.id });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const enrolmentId = requested.body.id as string;
    const citizen = await devToken(service.dataDir, { role: 'citizen', sub: `citizen:${learnerId}`, learner_id: learnerId });
    expect((await api(service.base, citizen, 'POST', `/v1/me/enrolments/${enrolmentId}/consent`, {})).status).toBe(200);
    const legs = (await api(service.base, providerToken, 'GET', `/v1/enrolments/${enrolmentId}`)).body.legs as { module: number; amount: string }[];
    const partOf = (module: number) => (Number(legs.filter((l) => l.module === module).reduce((a, l) => a + BigInt(l.amount), 0n)) / 100).toFixed(2);
    await new Promise((r) => setTimeout(r, Math.max(0, endsAt.getTime() + 1_500 - Date.now())));

    const moduleStates = async () => (await page.locator('ul.modules > li').allTextContents()).map((x) => x.replace(/\s+/g, ' ').trim());
    for (const module of [1, 2]) {
      await page.goto(`${service.base}/provider/enrolments/${enrolmentId}`);
      await page.getByLabel('Module this claim is for').selectOption(String(module));
      const file = path.join(workDir, `module-${module}.jwt`);
      await writeFile(file, `${await credentialFromCli(enrolmentId, module)}\n`);
      await page.getByLabel('Completion credential file').setInputFiles(file);
      await page.getByLabel('Amount to claim, in SGD').fill(partOf(module));
      if (module === 1) await shot('provider-module-claim-form');
      await page.getByRole('button', { name: 'Submit the claim' }).click();
      await page.waitForURL(/\/provider\/claims\/[0-9a-f-]{36}\?done=submitted/);
      expect(await page.locator('.lead').textContent()).toBe('Approved');
    }
    await page.goto(`${service.base}/provider/enrolments/${enrolmentId}`);
    expect(await moduleStates()).toEqual(['1. Spreadsheets (25% of the price): Approved', '2. SQL (30% of the price): Approved', '3. Dashboards (45% of the price): Not claimed yet']);
    // Only module 3 is left to claim, and only its part is still reserved.
    expect((await page.getByLabel('Module this claim is for').locator('option').allTextContents()).map((x) => x.split(':')[0])).toEqual(['3. Dashboards']);
    expect(await page.locator('dt:text-is("Reserved now") + dd').textContent()).toBe(`$${partOf(3)}`);
    await shot('provider-module-claims');
    // The module list and choice, checked with axe in each language (the other pages are checked in the next test).
    const found: Record<string, unknown> = {};
    for (const lang of ['en', 'ms', 'id', 'zh-Hans', 'ta']) {
      await page.goto(`${service.base}/provider/enrolments/${enrolmentId}?lang=${lang}`);
      const violations = await axeViolations(page);
      if (violations.length > 0) found[lang] = violations;
    }
    await page.goto(`${service.base}/provider?lang=en`);
    expect(found).toEqual({});
  });

  it('when every provider page is checked with axe in each of the five languages, then there are no violations', { timeout: 300_000 }, async () => {
    expect(made.claimId, 'the scenario ran first').toBeDefined();
    // The seed's express enrolment is reserved: its page carries the claim form.
    const reserved = await api(service.base, providerToken, 'GET', '/v1/enrolments?status=reserved&limit=5');
    const withForm = (reserved.body.items as { id: string }[])[0]!.id;
    const paths = ['/', '/provider', `/provider/runs/${made.runId}`, `/provider/enrolments/${made.enrolmentId}`, `/provider/enrolments/${withForm}`,
      '/provider/claims', `/provider/claims/${made.claimId}`, '/provider/recoveries'];
    const found: Record<string, unknown> = {};
    for (const lang of ['en', 'ms', 'id', 'zh-Hans', 'ta']) {
      for (const p of paths) {
        await page.goto(`${service.base}${p}?lang=${lang}`);
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        const violations = await axeViolations(page);
        if (violations.length > 0) found[`${lang} ${p}`] = violations;
      }
      // The error summary too.
      await page.goto(`${service.base}/provider/runs/${made.runId}?lang=${lang}`);
      await page.locator('#learnerId').fill('not-an-id');
      await page.locator('form[action$="/enrolments"] button[type="submit"]').click();
      await page.waitForLoadState();
      const violations = await axeViolations(page);
      if (violations.length > 0) found[`${lang} request error`] = violations;
      await page.goto(`${service.base}/provider/enrolments/${withForm}?lang=${lang}`);
      await shot(`provider-claim-form-${lang}`);
    }
    await page.goto(`${service.base}/provider?lang=en`);
    expect(found).toEqual({});
  });

  it('when the pages are 320 px wide (as at 400% zoom of a 1280 px window), then nothing scrolls sideways and axe still finds nothing', async () => {
    await page.setViewportSize({ width: 320, height: 640 });
    for (const p of ['/provider', `/provider/runs/${made.runId}`, `/provider/enrolments/${made.enrolmentId}`, '/provider/claims', `/provider/claims/${made.claimId}`, '/provider/recoveries']) {
      await page.goto(`${service.base}${p}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${p} scrolls sideways at 320 px`).toBeLessThanOrEqual(0);
      expect(await axeViolations(page), p).toEqual([]);
    }
    await page.goto(`${service.base}/provider/claims/${made.claimId}`);
    await shot('provider-claim-320px');
    await page.setViewportSize({ width: 1024, height: 900 });
  });
});

describe('without JavaScript', () => {
  it('when script is off, then staff still paste a signed credential and submit a claim', async () => {
    const plain = await browser.newContext({ javaScriptEnabled: false });
    const p = await plain.newPage();
    await signIn(p, service.base, /Provider staff: Lion City Digital Academy/);
    // The seed's express enrolment, on a run that started a minute after the first start.
    const reserved = await api(service.base, providerToken, 'GET', '/v1/enrolments?status=reserved&limit=5');
    const enrolmentId = (reserved.body.items as { id: string }[])[0]!.id;
    await p.goto(`${service.base}/provider/enrolments/${enrolmentId}`);
    await p.getByLabel('Or paste the credential').fill(await credentialFromCli(enrolmentId));
    await p.getByRole('button', { name: 'Submit the claim' }).click();
    await p.waitForURL(/\/provider\/claims\/[0-9a-f-]{36}\?done=submitted/);
    const claimId = /claims\/([0-9a-f-]{36})/.exec(p.url())![1]!;
    const claim = await api(service.base, providerToken, 'GET', `/v1/claims/${claimId}`);
    expect(claim.body.enrolmentId).toBe(enrolmentId);
    expect(await p.locator('.lead').textContent()).toBe({ approved: 'Approved', in_review: 'In review', rejected: 'Rejected' }[claim.body.status as string]);
    await plain.close();
  });
});
