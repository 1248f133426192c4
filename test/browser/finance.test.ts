/// <reference lib="dom" />
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { camt053, debtorAccountOf, entriesForBatch, type BatchForBank } from '../../src/cli/bank-statement-file.js';
import { api, axeViolations, devToken, repoRoot, screenshotDir, signIn, useBrowserService, type RunningService } from './support.js';

let service: RunningService;
let browser: Browser;
let admin: string;
let finance: string;
/** The two officers, each in a browser of their own. */
let first: { context: BrowserContext; page: Page };
let second: { context: BrowserContext; page: Page };
const visited = new Set<string>();

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(screenshotDir, `finance-${name}.png`), fullPage: true });
const open = async (page: Page, p: string) => {
  await page.goto(`${service.base}${p}`);
  visited.add(p.split('?')[0]!);
};

/**
 * The demo seed enrols the first learner on an SGD run that starts a minute
 * after the seed and ends two minutes later. Once it has started, the
 * provider claims with a credential signed by `npm run credential`: issued
 * before the run could end, so the system sends it to review.
 */
async function claimOnTheExpressRun(): Promise<{ claimId: string; status: string }> {
  const enrolments = await api(service.base, admin, 'GET', `/v1/enrolments?learnerId=${service.learners[0]}&status=reserved&limit=10`);
  const enrolment = (enrolments.body.items as { id: string; courseId: string; courseRunId: string; providerId: string; reserved?: string; funded: string }[])[0]!;
  const runs = await api(service.base, admin, 'GET', `/v1/courses/${enrolment.courseId}/runs?limit=50`);
  const run = (runs.body.items as { id: string; startsAt: string }[]).find((r) => r.id === enrolment.courseRunId)!;
  const wait = new Date(run.startsAt).getTime() + 2_000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/credential.ts', '--enrolment', enrolment.id, '--url', service.base], {
    cwd: repoRoot, env: { ...process.env, DATA_DIR: service.dataDir },
  });
  const credential = stdout.trim().split('\n').at(-1)!;
  const provider = await devToken(service.dataDir, { role: 'provider', sub: `provider:${enrolment.providerId}`, provider_id: enrolment.providerId });
  const claim = await api(service.base, provider, 'POST', '/v1/claims', { enrolmentId: enrolment.id, amount: enrolment.reserved ?? enrolment.funded, credential });
  expect(claim.status, JSON.stringify(claim.body)).toBe(201);
  return { claimId: claim.body.id as string, status: claim.body.status as string };
}

const started = useBrowserService();

beforeAll(async () => {
  ({ service, browser } = started);
  admin = await devToken(service.dataDir, { role: 'admin', sub: 'admin-demo' });
  finance = await devToken(service.dataDir, { role: 'finance', sub: 'finance-test' });
  const officer = async (label: RegExp) => {
    const context = await browser.newContext({ viewport: { width: 1024, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    await signIn(page, service.base, label);
    return { context, page };
  };
  [first, second] = [await officer(/Finance officer 1/), await officer(/Finance officer 2/)];
});

afterAll(async () => {
  await first?.context.close();
  await second?.context.close();
});

describe('two finance officers in their browsers', () => {
  let batchUrl = '';

  it('when the system held a claim, then officer 1 proposes approving it, sees no button to approve it themself, and officer 2 approves it', async () => {
    const claim = await claimOnTheExpressRun();
    if (claim.status === 'in_review') {
      await open(first.page, '/finance/review');
      await shot(first.page, 'review');
      const card = first.page.locator('li.card').filter({ hasText: 'The completion credential was issued before the course run ended' }).first();
      await card.getByLabel('Reason for your decision').fill('Trainer confirmed attendance by phone');
      await card.getByRole('button', { name: 'Record decision' }).click();
      await first.page.waitForURL(/done=proposed/);
      expect(await first.page.getByRole('status').textContent()).toContain('A second finance officer must approve it');
      expect(await first.page.locator('main').textContent()).toContain('You proposed this decision');
      expect(await first.page.getByRole('button', { name: 'Approve the proposal' }).count()).toBe(0);

      await open(second.page, '/finance/review');
      await second.page.getByRole('button', { name: 'Approve the proposal' }).first().click();
      await second.page.waitForURL(/done=approved/);
    }
    const after = await api(service.base, finance, 'GET', `/v1/claims/${claim.claimId}`);
    expect(after.body.status).toBe('approved');
  });

  it('when officer 1 builds a batch and officer 2 approves it, then officer 1 downloads the pain.001 the bank is sent', async () => {
    await open(first.page, '/finance/batches');
    await first.page.getByLabel('Currency').selectOption('SGD');
    await first.page.getByRole('button', { name: 'Propose the batch' }).click();
    await first.page.waitForURL(/\/finance\/batches\/[0-9a-f-]{36}\?done=proposed/);
    batchUrl = new URL(first.page.url()).pathname;
    expect(await first.page.locator('main').textContent()).toContain('You proposed this batch');
    expect(await first.page.getByRole('button', { name: 'Approve and release the batch' }).count()).toBe(0);

    await open(second.page, batchUrl);
    await shot(second.page, 'batch-to-approve');
    await second.page.getByRole('button', { name: 'Approve and release the batch' }).click();
    await second.page.waitForURL(/done=approved/);
    expect(await second.page.getByRole('status').textContent()).toContain('approved and released');

    await open(first.page, batchUrl);
    await shot(first.page, 'batch');
    const [download] = await Promise.all([first.page.waitForEvent('download'), first.page.getByRole('link', { name: /pain\.001/ }).click()]);
    expect(download.suggestedFilename()).toMatch(/^LCB[0-9a-f]+\.xml$/);
    const xml = await readFile((await download.path())!, 'utf8');
    expect(xml).toContain('urn:iso:std:iso:20022:tech:xsd:pain.001.001.09');
    const [csv] = await Promise.all([first.page.waitForEvent('download'), first.page.getByRole('link', { name: /CSV/ }).click()]);
    expect(csv.suggestedFilename()).toMatch(/\.csv$/);
  });

  it('when officer 1 imports the bank\'s camt.053 with one line the service does not know, then the page shows what settled and the exception, and officer 2 resolves it', async () => {
    const batchId = batchUrl.split('/').at(-1)!;
    const batch = (await api(service.base, finance, 'GET', `/v1/disbursement-batches/${batchId}`)).body as BatchForBank;
    const file = await fetch(`${service.base}/v1/disbursement-batches/${batchId}/payment-file?format=pain.001`, { headers: { authorization: `Bearer ${finance}` } });
    const { entries } = entriesForBatch(batch);
    // As `npm run bank-statement` writes it, plus a debit the bank booked with a reference of no payment of ours.
    const statement = camt053({
      id: `STMT-BROWSER-${Date.now()}`, createdAt: new Date(), currency: 'SGD', account: debtorAccountOf(await file.text()), opening: 100_000_000n,
      entries: [...entries, { endToEndId: 'LCUNKNOWNREFERENCE0001', amount: 1234n, direction: 'DBIT', isReturn: false, status: 'BOOK' }],
    });

    await open(first.page, '/finance/statements');
    await first.page.getByLabel('ISO 20022 camt.053 (XML)').check();
    // Picked as a file: the form uploads the file itself (the paste box stays empty).
    await first.page.getByLabel(/Statement file/).setInputFiles({ name: 'statement.xml', mimeType: 'application/xml', buffer: Buffer.from(statement) });
    expect(await first.page.getByLabel('Statement', { exact: true }).inputValue()).toBe('');
    await shot(first.page, 'statements');
    await first.page.getByRole('button', { name: 'Import and reconcile' }).click();
    await first.page.waitForURL(/\/finance\/statements\/[0-9a-f-]{36}\?done=imported/);
    visited.add(new URL(first.page.url()).pathname);
    const summary = await first.page.locator('dl.summary').textContent();
    expect(summary).toContain(`Settled${entries.length}`);
    expect(summary).toContain('Exception1');
    await shot(first.page, 'statement');

    await open(second.page, '/finance/exceptions');
    await shot(second.page, 'exceptions');
    const card = second.page.locator('li.card').filter({ hasText: 'A reference the service does not know' }).first();
    await card.getByLabel('How it was resolved').fill('Bank fee booked against the wrong account; the bank reverses it');
    await card.getByRole('button', { name: 'Resolve' }).click();
    await second.page.waitForURL(/done=resolved/);
    expect(await second.page.getByRole('status').textContent()).toContain('The exception was resolved.');
    const resolved = await api(service.base, finance, 'GET', '/v1/reconciliation-exceptions?status=resolved');
    expect(resolved.body.items).toContainEqual(expect.objectContaining({ kind: 'unknown_reference', resolvedBy: expect.stringContaining('finance-2') }));
  });

  it('when the reports are opened, then the scheme report draws its chart and the equity report names its published period', async () => {
    await open(first.page, '/finance/reports/schemes');
    expect(await first.page.locator('svg[role="img"] title').textContent()).toContain('over time');
    await shot(first.page, 'schemes');
    await open(first.page, '/finance/reports/equity');
    // Published per closed month: the demo's learners, granted this month, appear once the month closes (test/web/finance-pages.test.ts shows the tables).
    expect(await first.page.locator('main').textContent()).toContain('Figures for the last closed period');
    expect(await first.page.locator('main').textContent()).toContain('Nothing is published for this period');
    await shot(first.page, 'equity');
  });

  it.each(['en', 'ms', 'id', 'zh-Hans', 'ta'])('when every finance page is checked with axe in %s, then there are no violations', async (lang) => {
    visited.add('/finance/exceptions?status=resolved');
    expect(visited.size).toBeGreaterThanOrEqual(8);
    const found: Record<string, unknown> = {};
    for (const p of [...visited]) {
      await second.page.goto(`${service.base}${p}${p.includes('?') ? '&' : '?'}lang=${lang}`);
      expect(await second.page.locator('html').getAttribute('lang')).toBe(lang);
      const violations = await axeViolations(second.page);
      if (violations.length > 0) found[p] = violations;
    }
    if (lang !== 'en') await shot(second.page, `exceptions-${lang}`);
    expect(found).toEqual({});
  });

  it('when the pages are 320 px wide, then nothing scrolls sideways', async () => {
    await first.page.setViewportSize({ width: 320, height: 640 });
    for (const p of [...visited]) {
      await first.page.goto(`${service.base}${p}`);
      const overflow = await first.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, `${p} scrolls sideways at 320 px`).toBeLessThanOrEqual(0);
    }
    await first.page.goto(`${service.base}${batchUrl}`);
    await shot(first.page, 'batch-320px');
    await first.page.goto(`${service.base}/finance/reports/schemes`);
    await shot(first.page, 'schemes-320px');
    await second.page.goto(`${service.base}/finance/review?lang=en`);
  });
});
