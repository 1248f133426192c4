/// <reference lib="dom" />
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { readDevPrivateKey, signToken } from '../../src/lib/dev-keys.js';

export const repoRoot = path.resolve(import.meta.dirname, '../..');
export const screenshotDir = path.join(repoRoot, 'reports', 'screenshots');

export interface RunningService {
  base: string;
  dataDir: string;
  /** Ids the demo seed printed. */
  learners: string[];
  providers: Map<string, string>;
  stop(): Promise<void>;
}

/** Starts `src/server.ts` on the embedded default (its own DATA_DIR, random ports), waits until it listens, and reads the demo ids from its log. */
export async function startService(): Promise<RunningService> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'lc-browser-'));
  await chmod(dataDir, 0o755); // when run as root, the embedded PostgreSQL runs as its own user and must traverse it
  const env = { ...process.env, DATA_DIR: dataDir, PORT: '0', OIDC_LOCAL_PORT: '0', HOST: '127.0.0.1', LOG_FORMAT: 'json', LOG_LEVEL: 'info', NODE_ENV: 'development' };
  for (const k of ['DATABASE_URL', 'TEST_DATABASE_URL', 'OIDC_ISSUER', 'AUTH_JWKS', 'PUBLIC_URL', 'SEED_DEMO']) delete (env as Record<string, string | undefined>)[k];
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const learners: string[] = [];
  const providers = new Map<string, string>();
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const base = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start in 240 s: ${stderr.slice(-2000)}`)), 240_000);
    let buffered = '';
    let url: string | undefined;
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const msg = (() => { try { return String((JSON.parse(line) as { msg?: unknown }).msg ?? ''); } catch { return ''; } })();
        const learner = /^demo citizen \d+ .* learnerId ([0-9a-f-]{36})/.exec(msg);
        if (learner) learners.push(learner[1]!);
        const provider = /^demo provider (.+) \((\w\w)\) providerId ([0-9a-f-]{36})/.exec(msg);
        if (provider) providers.set(provider[2]!, provider[3]!);
        const listening = /^Learning Credits listening on (http:\/\/[\d.:]+)/.exec(msg);
        if (listening) url = listening[1]!;
        // Sign-in is ready once the demo identity provider listens, just after the service.
        if (url && /^demo identity provider listening on /.test(msg)) {
          clearTimeout(timer);
          resolve(url);
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited with ${code}: ${stderr.slice(-2000)}`));
    });
  });
  return {
    base, dataDir, learners, providers,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * One browser test file's service and Chromium: both started before the
 * file's own hooks (with the screenshot folder made), both stopped after its
 * own hooks closed their pages. Read the fields inside a hook or a test.
 */
export function useBrowserService(): { readonly service: RunningService; readonly browser: Browser } {
  const started = {} as { service: RunningService; browser: Browser };
  beforeAll(async () => {
    await mkdir(screenshotDir, { recursive: true });
    [started.service, started.browser] = await Promise.all([startService(), launchChromium()]);
  });
  afterAll(async () => {
    await started.browser?.close();
    await started.service?.stop();
  });
  return started;
}

/** A token for the demo provider of one country (`SG` is Lion City Digital Academy), as its own system would call the API with. */
export function demoProviderToken(service: RunningService, country = 'SG'): Promise<string> {
  const providerId = service.providers.get(country)!;
  return devToken(service.dataDir, { role: 'provider', sub: `provider:${providerId}`, provider_id: providerId });
}

/** A bearer token signed with the service's development key, as `npm run token` makes it. */
export async function devToken(dataDir: string, claims: Record<string, string>): Promise<string> {
  const key = await readDevPrivateKey(dataDir);
  return signToken(key, claims as never, { issuer: 'learning-credits', audience: 'learning-credits-api', expiresIn: '1h' });
}

export async function api(base: string, token: string, method: string, p: string, body?: unknown) {
  const res = await fetch(`${base}${p}`, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** The system Chromium, headless, as the brief's flags say. */
export async function launchChromium(): Promise<Browser> {
  const executablePath = execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' }).trim();
  return chromium.launch({ executablePath, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}

/** Signs in through the OIDC flow: the portal's button, the demo identity provider's form, back to the portal. */
export async function signIn(page: Page, base: string, userLabel: RegExp): Promise<void> {
  await page.goto(`${base}/`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByRole('radio', { name: userLabel }).check();
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/`);
}

export async function axeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  return results.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
}

/** Bytes of a first load: every response of the navigation, gzipped as a compressing proxy would send it. */
export async function firstLoadBytes(context: BrowserContext, url: string): Promise<{ raw: number; gzip: number; files: number }> {
  const page = await context.newPage();
  const bodies: Promise<Buffer | undefined>[] = [];
  page.on('response', (r) => bodies.push(r.body().catch(() => undefined)));
  await page.goto(url, { waitUntil: 'load' });
  const all = (await Promise.all(bodies)).filter((b): b is Buffer => b !== undefined);
  await page.close();
  return { raw: all.reduce((s, b) => s + b.length, 0), gzip: all.reduce((s, b) => s + gzipSync(b).length, 0), files: all.length };
}

export interface LayoutProblems {
  /** Pixels the page scrolls sideways. */
  overflow: number;
  /** Elements past the right edge of the viewport (a data table may scroll inside its own `.table-wrap` region). */
  outside: string[];
  /** Elements whose line height is less than their font size: lines overlap, text is cut off or unreadable. */
  overlapping: string[];
}

/** What a reflow check (WCAG 1.4.10, 1.4.4) finds wrong with the page as it is laid out now. */
export function layoutProblems(page: Page): Promise<LayoutProblems> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const outside = Array.from(document.querySelectorAll('body *'))
      .filter((el) => !el.closest('.table-wrap, .visually-hidden, .skip') && el.getClientRects().length > 0)
      .filter((el) => el.getBoundingClientRect().right > width + 1)
      .map((el) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${el.className}`);
    const overlapping = Array.from(document.querySelectorAll('body *'))
      .filter((el) => el.getClientRects().length > 0 && Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent!.trim() !== ''))
      .filter((el) => { const s = getComputedStyle(el); return s.lineHeight !== 'normal' && parseFloat(s.lineHeight) < parseFloat(s.fontSize); })
      .map((el) => `${el.tagName.toLowerCase()}.${el.className}`);
    return { overflow: document.documentElement.scrollWidth - width, outside: outside.slice(0, 5), overlapping: overlapping.slice(0, 5) };
  });
}

export const fitsWell = (r: LayoutProblems) => r.overflow <= 0 && r.outside.length === 0 && r.overlapping.length === 0;

/** 400% text: the root font size a user's text zoom sets, as WCAG 1.4.4 asks (use with a 1280 px window). */
export async function zoomTextTo400(page: Page): Promise<void> {
  await page.evaluate(() => { document.documentElement.style.setProperty('font-size', '400%', 'important'); });
}
