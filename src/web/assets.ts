import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

/** The SGDS theme tokens and reboot as shipped by @govtechsg/sgds-web-component: plain CSS, no web component, no script. */
function sgdsCss(): string {
  const read = (file: string) => readFileSync(require.resolve(`@govtechsg/sgds-web-component/${file}`), 'utf8').replace(/^@import[^;]*;\s*/gm, '');
  return [read('themes/root.css'), read('themes/day.css'), read('css/reboot.css')].join('\n');
}

export interface Asset {
  body: string;
  type: string;
  /** Content hash in the URL: served with a year-long cache, and a new release gets new URLs. */
  url: string;
}

/** The two files every page loads: one stylesheet (with the deployment's theme, if any), one small enhancement script. */
export function loadAssets(themeCss?: string): { css: Asset; js: Asset } {
  const make = (body: string, name: string, ext: string, type: string): Asset => ({
    body, type, url: `/assets/${name}.${createHash('sha256').update(body).digest('hex').slice(0, 12)}.${ext}`,
  });
  // The deployment's theme (WEB_THEME_CSS) comes last, so its overrides win; it is part of the hash, so a new theme gets a new URL.
  const css = `${sgdsCss()}\n${readFileSync(path.join(here, 'assets', 'site.css'), 'utf8')}${themeCss ? `\n/* WEB_THEME_CSS */\n${themeCss}` : ''}`;
  return { css: make(css, 'site', 'css', 'text/css; charset=utf-8'), js: make(readFileSync(path.join(here, 'assets', 'enhance.js'), 'utf8'), 'enhance', 'js', 'text/javascript; charset=utf-8') };
}
