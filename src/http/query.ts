import { AppError } from '../lib/app-error.js';

/**
 * Query strings decoded as strictly as paths and JSON bodies: a value whose
 * percent-encoding is not valid UTF-8 (`%FF`, a lone surrogate `%ED%A0%80`)
 * is refused, where node:querystring would quietly turn it into U+FFFD.
 * Flat key=value pairs only; a repeated key keeps its values as an array, as
 * Express's simple parser did.
 */
export function parseQuery(text: string | null | undefined): Record<string, string | string[]> {
  // No prototype: a key named __proto__ is a plain (unknown, refused) key, never a prototype change.
  const out = Object.create(null) as Record<string, string | string[]>;
  if (!text) return out;
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    const before = out[key];
    out[key] = before === undefined ? value : Array.isArray(before) ? [...before, value] : [before, value];
  }
  return out;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    throw new AppError('bad_request', 'the query string is not correctly encoded: a percent-encoded value is not UTF-8');
  }
}
