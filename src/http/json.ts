import { isUtf8 } from 'node:buffer';
import { AppError, type FieldError } from '../lib/app-error.js';
import { JsonNumberText } from '../lib/json-number-text.js';

/** JSON with bigint amounts as strings: money never passes through a float. */
export const stringifyJson = (value: unknown): string =>
  JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/**
 * A body-parser `verify` hook: a body declared (or defaulted) as UTF-8 must be
 * valid UTF-8, or the decoder silently swaps bad bytes for U+FFFD.
 */
export function requireUtf8(_req: unknown, _res: unknown, buf: Buffer, encoding: string): void {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(buf)) throw Object.assign(new Error('the body is not valid UTF-8'), { type: 'encoding.invalid' });
}

/** Containers (objects and arrays) may nest this deep in a request body; no field of the API needs more than a handful. */
export const MAX_JSON_DEPTH = 64;

/** At most this many NUL / surrogate problems are listed for one request. */
const MAX_TEXT_PROBLEMS = 20;

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Why a decoded text value may not be stored or compared, or undefined. NUL
 * ends strings in C and PostgreSQL refuses it in text; an unpaired UTF-16
 * surrogate is not a character and cannot be written as UTF-8. Both can
 * arrive through JSON escapes (\u0000, \ud800) or percent-encoding (%00).
 */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL (U+0000): it is not text, and no field accepts control characters of that kind';
  if (LONE_SURROGATE.test(value)) return 'contains an unpaired UTF-16 surrogate, which is not text';
  return undefined;
}

/** A key or value as a path segment that can be shown: NUL and lone surrogates as \u escapes. */
const showable = (segment: string | number): string =>
  String(segment).replace(/[\u0000]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A field path as the validation errors give it: where.key.0.key. */
export const fieldPath = (where: string, segments: readonly (string | number)[]): string => [where, ...segments.map(showable)].join('.');

/**
 * NUL and lone surrogates in the values (and keys) of a query string or path:
 * the simple query parser gives strings and arrays of strings.
 */
export function textProblems(where: string, values: Record<string, unknown> | undefined): FieldError[] {
  const out: FieldError[] = [];
  for (const [key, value] of Object.entries(values ?? {})) {
    const keyProblem = textProblem(key);
    if (keyProblem) out.push({ path: fieldPath(where, [key]), message: keyProblem });
    const list = Array.isArray(value) ? value : [value];
    for (const item of list) {
      const problem = typeof item === 'string' ? textProblem(item) : undefined;
      if (problem) {
        out.push({ path: fieldPath(where, [key]), message: problem });
        break;
      }
    }
  }
  return out;
}

/**
 * Refuses NUL and lone surrogates anywhere in a text body (a CSV or XML
 * statement), naming the line and column of the first one. UTF-8 decoding
 * never yields a lone surrogate, but a body in another charset can.
 */
export function checkTextBody(text: string): void {
  const nul = text.indexOf('\u0000');
  const surrogate = text.search(LONE_SURROGATE);
  const at = nul < 0 ? surrogate : surrogate < 0 ? nul : Math.min(nul, surrogate);
  if (at < 0) return;
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < at; i = text.indexOf('\n', i + 1)) {
    line += 1;
    lineStart = i + 1;
  }
  const message = at === nul ? 'must not contain NUL (U+0000): it is not text, and no field accepts control characters of that kind' : 'contains an unpaired UTF-16 surrogate, which is not text';
  throw new AppError('validation_failed', 'the request is not valid', {
    errors: [{ path: 'body', message: `line ${line}, column ${at - lineStart + 1}: ${message}` }],
  });
}

type Frame = { kind: 'object'; value: Record<string, unknown>; key: string } | { kind: 'array'; value: unknown[]; key: number };

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/**
 * Parses a JSON request body (RFC 8259, top level an object or array, as
 * body-parser's strict mode) in one pass without recursion, and refuses what
 * JSON.parse would let through into the service:
 *
 * - nesting deeper than MAX_JSON_DEPTH: 400 bad_request, before anything
 *   downstream (zod, the idempotency fingerprint) walks it;
 * - NUL or a lone surrogate in any string, key or value: 422
 *   validation_failed naming each `body.<path>`, whichever field it is in;
 * - numbers keep their written form when rounding could hide it (see
 *   JsonNumberText), so the money schema can refuse `100.0000000000000001`.
 *
 * An empty body is `{}`, as body-parser gave it. `__proto__` is an own
 * property, as with JSON.parse. Syntax errors are 400 malformed_json with the
 * position.
 */
export function parseJsonBody(text: string): unknown {
  if (text.length === 0) return {};
  const n = text.length;
  let i = 0;
  const stack: Frame[] = [];
  const problems: FieldError[] = [];

  const fail = (what: string): never => {
    throw new AppError('malformed_json', `the body is not valid JSON: ${what} at position ${i}`);
  };
  const ws = () => {
    for (; i < n; i += 1) {
      const c = text.charCodeAt(i);
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return;
    }
  };
  const check = (s: string) => {
    if (problems.length >= MAX_TEXT_PROBLEMS) return;
    const problem = textProblem(s);
    if (problem) problems.push({ path: fieldPath('body', stack.map((f) => f.key)), message: problem });
  };
  const readString = (): string => {
    // i is at the opening quote. Find the closing one (an even run of backslashes before it), then let JSON.parse decode and validate the escapes.
    let from = i + 1;
    for (;;) {
      const q = text.indexOf('"', from);
      if (q < 0) return fail('unterminated string');
      let b = q - 1;
      while (text.charCodeAt(b) === 92) b -= 1;
      if ((q - 1 - b) % 2 === 0) {
        let s: string;
        try {
          s = JSON.parse(text.slice(i, q + 1)) as string;
        } catch {
          return fail('invalid string (a control character or a bad escape)');
        }
        i = q + 1;
        return s;
      }
      from = q + 1;
    }
  };
  const readKey = (frame: Frame & { kind: 'object' }) => {
    ws();
    if (text.charCodeAt(i) !== 34) fail('expected a property name in double quotes');
    frame.key = readString();
    check(frame.key);
    ws();
    if (text.charCodeAt(i) !== 58) fail('expected ":"');
    i += 1;
  };

  ws();
  const first = text.charCodeAt(i);
  if (first !== 123 && first !== 91) fail('expected an object or an array');

  for (;;) {
    // A value starts at i.
    ws();
    const c = text.charCodeAt(i);
    let value: unknown;
    if (c === 123 || c === 91) {
      if (stack.length >= MAX_JSON_DEPTH) {
        throw new AppError('bad_request', `the JSON body nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays; no request needs that many`);
      }
      i += 1;
      ws();
      if (c === 123) {
        const obj: Record<string, unknown> = {};
        if (text.charCodeAt(i) === 125) {
          i += 1;
          value = obj;
        } else {
          const frame = { kind: 'object' as const, value: obj, key: '' };
          stack.push(frame);
          readKey(frame);
          continue;
        }
      } else {
        const arr: unknown[] = [];
        if (text.charCodeAt(i) === 93) {
          i += 1;
          value = arr;
        } else {
          stack.push({ kind: 'array', value: arr, key: 0 });
          continue;
        }
      }
    } else if (c === 34) {
      value = readString();
      check(value as string);
    } else if (c === 45 || (c >= 48 && c <= 57)) {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (!m) return fail('invalid number');
      i += m[0].length;
      const plain = Number(m[0]);
      value = m[1] === undefined && m[2] === undefined && Number.isSafeInteger(plain) ? plain : new JsonNumberText(m[0]);
    } else if (text.startsWith('true', i)) {
      i += 4;
      value = true;
    } else if (text.startsWith('false', i)) {
      i += 5;
      value = false;
    } else if (text.startsWith('null', i)) {
      i += 4;
      value = null;
    } else {
      fail(i >= n ? 'unexpected end' : 'unexpected character');
    }

    // Place the value in its container; close containers that end here.
    for (;;) {
      const top = stack.at(-1);
      if (!top) {
        ws();
        if (i < n) fail('unexpected text after the end');
        if (problems.length > 0) throw new AppError('validation_failed', 'the request is not valid', { errors: problems });
        return value;
      }
      if (top.kind === 'array') top.value.push(value);
      else if (top.key === '__proto__') Object.defineProperty(top.value, top.key, { value, writable: true, enumerable: true, configurable: true });
      else top.value[top.key] = value;
      ws();
      const d = text.charCodeAt(i);
      if (d === 44) {
        i += 1;
        if (top.kind === 'object') readKey(top);
        else top.key += 1;
        break;
      }
      if (d !== (top.kind === 'object' ? 125 : 93)) fail(top.kind === 'object' ? 'expected "," or "}"' : 'expected "," or "]"');
      i += 1;
      stack.pop();
      value = top.value;
    }
  }
}
