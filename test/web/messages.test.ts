import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { movementSigns } from '../../src/modules/accounts/describe-movement.js';
import { enrolmentStatuses, reasonKeys } from '../../src/web/citizen/pages.js';
import { catalogues, languages, type Lang } from '../../src/web/i18n.js';

const webDir = path.resolve(import.meta.dirname, '../../src/web');
const sources = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return f === 'messages' ? [] : sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });

const english = catalogues.en;
const keys = Object.keys(english);
const variables = (message: string) => [...message.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('message catalogues', () => {
  it('when the catalogues are loaded, then there is one for each of the five languages', () => {
    expect(Object.keys(catalogues).sort()).toEqual(['en', 'id', 'ms', 'ta', 'zh-Hans']);
    expect(Object.keys(languages).sort()).toEqual(Object.keys(catalogues).sort());
  });

  it.each(Object.keys(languages) as Lang[])('when %s is compared with English, then it has every key, no other, each a non-empty message with the same placeholders', (lang) => {
    const catalogue = catalogues[lang] as Record<string, string>;
    const missing = keys.filter((k) => !(k in catalogue));
    const extra = Object.keys(catalogue).filter((k) => !(k in english));
    expect(missing, `keys missing in ${lang}`).toEqual([]);
    expect(extra, `keys in ${lang} that English does not have`).toEqual([]);
    for (const k of keys) {
      expect(typeof catalogue[k] === 'string' && catalogue[k]!.trim().length > 0, `${lang} ${k} is empty`).toBe(true);
      expect(variables(catalogue[k]!), `${lang} ${k} placeholders`).toEqual(variables((english as Record<string, string>)[k]!));
    }
  });

  it('when the pages name a message key, then the English catalogue (and so every catalogue) has it', () => {
    const namespaces = new Set(keys.map((k) => k.split('.')[0]));
    const used = new Set<string>();
    for (const file of sources(webDir)) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([^']+)'/g)) used.add(m[1]!);
      for (const m of text.matchAll(/'([a-z][A-Za-z]*(?:\.[A-Za-z_]+)+)'/g)) if (namespaces.has(m[1]!.split('.')[0])) used.add(m[1]!);
    }
    // Keys built at run time, from the lists they are built from.
    for (const sign of movementSigns) used.add(`sign.${sign}`).add(`movement.${sign}`);
    for (const key of Object.keys(reasonKeys)) used.add(key);
    for (const status of enrolmentStatuses) used.add(`status.${status}`);
    expect(used.size).toBeGreaterThan(50);
    expect([...used].filter((k) => !(k in english)).sort(), 'keys used by a page that no catalogue has').toEqual([]);
  });

  it('when a key is in the catalogues, then a page uses it (no dead messages)', () => {
    const text = sources(webDir).map((f) => readFileSync(f, 'utf8')).join('\n');
    const dynamic = (k: string) => /^(sign|movement|reason|status)\./.test(k);
    expect(keys.filter((k) => !dynamic(k) && !text.includes(`'${k}'`))).toEqual([]);
  });
});
