/// <reference lib="dom" />
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, axeViolations, demoProviderToken, devToken, firstLoadBytes, fitsWell, layoutProblems, repoRoot, screenshotDir, signIn, useBrowserService, zoomTextTo400, type RunningService } from './support.js';

/**
 * The rest of the citizen portal in a real browser: the live tracker, the
 * learner record with share links, pathway progress, and every citizen page
 * at 320 px and at 400% text. The state is made through the API (the
 * provider's bearer token, the credential CLI that signs with the demo keys),
 * never by editing the database.
 */
let service: RunningService;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let providerToken: string;
let adminToken: string;
/** A course of the demo pathway (Digital Skills Starter), so that a claim on it starts the pathway. */
let pathwayCourse: { id: string; title: string };
/** Citizen 4 of the demo: Singapore, SkillsFuture Credit. */
const CITIZEN = 3;
let enrolmentId: string;
let credentialId: string;

const started = useBrowserService();

beforeAll(async () => {
  ({ service, browser } = started);
  providerToken = await demoProviderToken(service);
  adminToken = await devToken(service.dataDir, { role: 'admin', sub: 'admin-demo' });
  const pathways = await api(service.base, adminToken, 'GET', '/v1/pathways');
  const starter = (pathways.body.items as { name: string; courseIds: string[] }[]).find((p) => p.name === 'Digital Skills Starter')!;
  const course = await api(service.base, adminToken, 'GET', `/v1/courses/${starter.courseIds[0]}`);
  pathwayCourse = { id: course.body.id as string, title: course.body.title as string };
  context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  // The tracker refreshes every 15 s; here every half second, so the test sees it change without waiting long.
  await context.addInitScript(() => { (window as unknown as { LC_REFRESH_MS: number }).LC_REFRESH_MS = 500; });
  page = await context.newPage();
  await signIn(page, service.base, new RegExp(`Citizen ${CITIZEN + 1}:`));
});

afterAll(async () => {
  await context?.close();
});

const shot = (name: string) => page.screenshot({ path: path.join(screenshotDir, `${name}.png`), fullPage: true });

/** A run of the pathway course that starts in `startsInMs` and lasts `lastsMs`, added by the provider, SGD 100.00. */
async function runIn(startsInMs: number, lastsMs: number) {
  const startsAt = new Date(Date.now() + startsInMs);
  const res = await api(service.base, providerToken, 'POST', `/v1/courses/${pathwayCourse.id}/runs`, {
    startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + lastsMs).toISOString(), fee: '10000', currency: 'SGD', capacity: 30,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id as string, endsAt: new Date(startsAt.getTime() + lastsMs) };
}

const providerRequests = async (runId: string) => {
  const res = await api(service.base, providerToken, 'POST', '/v1/enrolments', { learnerId: service.learners[CITIZEN], courseRunId: runId });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
};

/** The state of each step of one enrolment's card, as a screen reader reads it ("Done: Requested"). */
const stepsOf = (id: string) => page.locator(`#enrolment-${id} .stepper li`).allTextContents();

describe('the live tracker', () => {
  it('when a provider asks, the citizen agrees and the provider claims, then the open tracker moves step by step by itself', async () => {
    const run = await runIn(30_000, 10_000);
    enrolmentId = await providerRequests(run.id);
    await page.goto(`${service.base}/tracker`);
    expect(await page.locator('h1').textContent()).toBe('Track my enrolments and claims');
    expect((await stepsOf(enrolmentId))[1]).toMatch(/^Now: You agreed/);
    expect(await page.locator(`#enrolment-${enrolmentId} .deadline`).textContent()).toMatch(/^Answer by .+, or the request lapses\.$/);
    await shot('tracker-requested');

    await page.goto(`${service.base}/enrolments`);
    await page.getByRole('button', { name: `Approve the enrolment on ${pathwayCourse.title}` }).click();
    await page.waitForURL(/done=approved/);
    await page.goto(`${service.base}/tracker`);
    expect((await stepsOf(enrolmentId))[3]).toMatch(/^Now: Claim sent by the provider/);
    expect(await page.locator(`#enrolment-${enrolmentId} .deadline`).textContent()).toMatch(/^The provider must claim by /);
    expect(await page.locator('#tracker').getAttribute('data-refresh')).toBe('/tracker?fragment=tracker');

    // The run ends; the provider signs the completion with the demo key (the credential CLI) and claims. The open page sees it.
    await new Promise((r) => setTimeout(r, Math.max(0, run.endsAt.getTime() - Date.now() + 1_000)));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/credential.ts', '--enrolment', enrolmentId, '--url', service.base], {
      cwd: repoRoot, env: { ...process.env, DATA_DIR: service.dataDir },
    });
    const claim = await api(service.base, providerToken, 'POST', '/v1/claims', { enrolmentId, amount: '10000', credential: stdout.trim().split('\n').pop() });
    expect(claim.status, JSON.stringify(claim.body)).toBe(201);
    expect(claim.body.status).toBe('approved');
    await page.waitForFunction((id) => /Done: Claim approved/.test(document.querySelector(`#enrolment-${id}`)?.textContent ?? ''), enrolmentId, { timeout: 10_000 });
    expect((await stepsOf(enrolmentId))[6]).toMatch(/^Now: Paid to the provider/);
    expect(await page.locator('[aria-live="polite"] #tracker').count()).toBe(1);
    await shot('tracker-approved');
  });

  it('when the citizen declines a request, then its card says so in plain words', async () => {
    const run = await runIn(40 * 86_400_000, 8 * 3_600_000);
    const declined = await providerRequests(run.id);
    await page.goto(`${service.base}/enrolments`);
    await page.getByRole('button', { name: `Decline the enrolment on ${pathwayCourse.title}` }).click();
    await page.waitForURL(/done=declined/);
    await page.goto(`${service.base}/tracker`);
    expect(await page.locator(`#enrolment-${declined} .reasons`).textContent()).toBe('You declined the request.');
    expect((await stepsOf(declined))[1]).toMatch(/^Stopped: Stopped/);
  });
});

describe('my credentials and share links', () => {
  it('when the claim is approved, then the credential is listed, a 7-day share link is made and opens for an employer, and revoking it closes it', async () => {
    await page.goto(`${service.base}/credentials`);
    await shot('credentials');
    expect(await page.locator('main .card .tag').first().textContent()).toBe('Valid');
    await page.getByRole('link', { name: `Details and sharing of ${pathwayCourse.title}` }).first().click();
    credentialId = /\/credentials\/([0-9a-f-]{36})/.exec(page.url())![1]!;

    // A wrong number first: the error summary names the field and links to it.
    await page.getByLabel('How many days the link works').fill('120');
    await page.getByRole('button', { name: 'Create a share link' }).click();
    expect(await page.locator('.error-summary').textContent()).toContain('Enter how many days the link works, from 1 to 90');
    await page.locator('.error-summary a').click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('expiresInDays');
    await shot('credential-share-error');

    await page.getByLabel('How many days the link works').fill('7');
    await page.getByLabel('Who is it for (optional)').fill('Acme Analytics');
    await page.getByRole('button', { name: 'Create a share link' }).click();
    const url = (await page.locator('.notice code').textContent())!;
    expect(url).toContain('/v1/public/credential-shares/');
    await shot('credential-shared');
    const opened = await page.request.get(url);
    expect(opened.status()).toBe(200);
    expect((await opened.json()).verification.verified).toBe(true);

    await page.goto(`${service.base}/credentials/${credentialId}`);
    await page.getByRole('button', { name: /^Revoke the link Acme Analytics/ }).click();
    await page.waitForURL(/done=revoked/);
    expect(await page.getByRole('status').textContent()).toContain('The link was revoked. It no longer works.');
    expect((await page.request.get(url)).status()).toBe(410);
  });

  it('when the citizen opens their pathways, then the demo pathway shows one of its two courses done', async () => {
    await page.goto(`${service.base}/pathways`);
    const card = page.locator('main .card', { hasText: 'Digital Skills Starter' });
    expect(await card.textContent()).toContain('1 of 2 courses done');
    expect(await card.textContent()).toContain(`${pathwayCourse.title}: `);
    await shot('pathways');
  });
});

const newPages = () => ['/tracker', '/credentials', `/credentials/${credentialId}`, '/pathways'];

describe('for everyone', () => {
  it('when the new pages are checked with axe in each of the five languages, then there are no violations', async () => {
    const found: Record<string, unknown> = {};
    for (const lang of ['en', 'ms', 'id', 'zh-Hans', 'ta']) {
      for (const p of newPages()) {
        await page.goto(`${service.base}${p}?lang=${lang}`);
        expect(await page.locator('html').getAttribute('lang')).toBe(lang);
        const violations = await axeViolations(page);
        if (violations.length > 0) found[`${lang} ${p}`] = violations;
      }
      await shot(`tracker-${lang}`);
    }
    await page.goto(`${service.base}/?lang=en`);
    expect(found).toEqual({});
  });

  it('when every citizen page is 320 px wide, and then 1280 px with 400% text, then nothing scrolls sideways or is cut off', async () => {
    await page.goto(`${service.base}/courses`);
    const runHref = await page.locator('a[href^="/courses/runs/"]').first().getAttribute('href');
    const every = ['/', '/history', '/enrolments', '/courses', runHref!, ...newPages()];
    const problems: Record<string, unknown> = {};
    await page.setViewportSize({ width: 320, height: 640 });
    for (const p of every) {
      await page.goto(`${service.base}${p}`);
      const r = await layoutProblems(page);
      if (!fitsWell(r)) problems[`320px ${p}`] = r;
    }
    await page.goto(`${service.base}/tracker`);
    await shot('tracker-320px');
    // 400% text: a 1280 px window whose text is four times larger (the root font size the user's zoom sets), as WCAG 1.4.4 and 1.4.10 ask.
    await page.setViewportSize({ width: 1280, height: 900 });
    for (const p of every) {
      await page.goto(`${service.base}${p}`);
      await zoomTextTo400(page);
      const r = await layoutProblems(page);
      if (!fitsWell(r)) problems[`400% ${p}`] = r;
    }
    await page.goto(`${service.base}/credentials/${credentialId}`);
    await zoomTextTo400(page);
    await shot('credential-400pct');
    await page.setViewportSize({ width: 390, height: 844 });
    expect(problems).toEqual({});
  });

  it('when the tracker loads first, then it is under 150 KB compressed', async () => {
    const fresh = await browser.newContext();
    await fresh.addCookies(await context.cookies(service.base));
    const load = await firstLoadBytes(fresh, `${service.base}/tracker`);
    await fresh.close();
    process.stdout.write(`first load: tracker ${load.files} files, ${load.raw} B (${load.gzip} B gzip)\n`);
    expect(load.gzip).toBeLessThan(150 * 1024);
  });
});
