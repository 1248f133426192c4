import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig, WEB_THEME_CSS_MAX_BYTES } from '../../src/config.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lc-theme-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const stylesheetOf = async (app: ReturnType<typeof createApp>) => {
  const page = await request(app).get('/sign-in');
  const href = /<link rel="stylesheet" href="([^"]+)"/.exec(page.text)?.[1];
  expect(href).toMatch(/^\/assets\/site\.[0-9a-f]{12}\.css$/);
  const css = await request(app).get(href!);
  expect(css.status).toBe(200);
  return { href: href!, css: css.text, cache: css.headers['cache-control'] };
};

describe('a deployment\'s theme (WEB_THEME_CSS)', () => {
  it('when a theme file overrides an SGDS token, then the one cached stylesheet ends with the override, under a new fingerprint', async () => {
    const file = path.join(dir, 'theme.css');
    await writeFile(file, ':root { --sgds-primary: #5a2d82; }\n');
    const config = loadConfig({ WEB_THEME_CSS: file });
    const themed = createApp({ ...h.deps, metrics: createMetrics(), authenticator: { authenticate: async () => { throw new Error('not used'); } }, web: { themeCss: config.WEB_THEME_CSS?.css } });
    const plain = await stylesheetOf(h.app);
    const withTheme = await stylesheetOf(themed);
    expect(plain.css).not.toContain('#5a2d82');
    expect(withTheme.css.trimEnd().endsWith(':root { --sgds-primary: #5a2d82; }')).toBe(true);
    expect(withTheme.css.indexOf('--sgds-primary: #5a2d82')).toBeGreaterThan(withTheme.css.indexOf('--sgds-primary'));
    expect(withTheme.href).not.toBe(plain.href);
    expect(withTheme.cache).toContain('immutable');
  });

  it('when the theme file is missing, too large, or imports another origin, then the configuration is refused naming WEB_THEME_CSS', async () => {
    expect(() => loadConfig({ WEB_THEME_CSS: path.join(dir, 'nope.css') })).toThrow(/WEB_THEME_CSS: cannot read .*nope\.css \(no such file\)/);
    const big = path.join(dir, 'big.css');
    await writeFile(big, `/*${'x'.repeat(WEB_THEME_CSS_MAX_BYTES)}*/`);
    expect(() => loadConfig({ WEB_THEME_CSS: big })).toThrow(/WEB_THEME_CSS: .*at most 65536/);
    const remote = path.join(dir, 'remote.css');
    await writeFile(remote, '@import url("https://fonts.example/x.css");');
    expect(() => loadConfig({ WEB_THEME_CSS: remote })).toThrow(/WEB_THEME_CSS: .*without @import/);
    expect(loadConfig({ WEB_THEME_CSS: '' }).WEB_THEME_CSS).toBeUndefined();
  });
});
