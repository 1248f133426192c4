import fc from 'fast-check';

/**
 * Hostile values for the bad-input properties, and the encodings that carry
 * them to the service unchanged: JSON escapes, raw bytes (WTF-8, where a lone
 * surrogate becomes the three bytes no UTF-8 decoder accepts) and
 * percent-encoding of those bytes in a path or a query string.
 *
 * Every generator here is meant to be invalid for the field it is put in:
 * each text value holds a NUL or a lone surrogate, is longer than the field
 * allows, or is JSON nesting where text is expected. The test still asks an
 * independent oracle (`textIsHostile`, the route's zod schema, the depth) and
 * only counts a request as "must refuse" when the oracle says so.
 */

/** Bidirectional controls and marks (RLO, RLM, isolates, the Arabic letter mark). */
export const BIDI = ['\u200e', '\u200f', '\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u061c'] as const;
/** Characters that break naive handling: BOM, non-characters, zero-width, line separators, combining, astral, controls, quoting. */
const ODD = [
  '\ufeff', '\ufffe', '\uffff', '\u200b', '\u200d', '\u2028', '\u2029', '\u0085', '\u00a0', '\u0301', '\u{10ffff}', '\u{1f4a9}', '\u{1f468}\u200d\u{1f469}',
  '\u{e0001}', '\u0007', '\u001b', '\u007f', '"', '\\', '<', '>', '&', "'", '%', '\r\n', '\t', ',', ';', 'ا', 'ש', '\u0130', '\u00df',
] as const;

/** A string that is not text: holds U+0000 or an unpaired UTF-16 surrogate. Independent of src/http/json.ts on purpose. */
export const textIsHostile = (s: string): boolean => s.includes('\u0000') || /\p{Cs}/u.test(s);

export const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const hostileUnit = fc.oneof(fc.constant('\u0000'), loneSurrogate);

/** Arbitrary Unicode: any code point, grapheme clusters, and runs of bidi / odd characters. */
export const unicodeText = (maxLength = 24) =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'grapheme', maxLength: Math.ceil(maxLength / 2) }),
    fc.string({ unit: fc.constantFrom(...BIDI, ...ODD), maxLength: Math.ceil(maxLength / 2) }),
  );

/**
 * Text that is valid but unusual: bidi controls, non-characters, combining
 * marks, astral characters, any code point; never a NUL or a lone surrogate,
 * at most `maxLength` UTF-16 code units (what zod counts).
 */
export function oddButValidText(maxLength: number): fc.Arbitrary<string> {
  const unit = fc.oneof(fc.constantFrom(...BIDI, ...ODD), fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }));
  return fc
    .array(unit, { minLength: 1, maxLength: Math.min(maxLength, 40) })
    .map((units) => units.join(''))
    .filter((s) => s.length <= maxLength && !textIsHostile(s) && s.trim().length > 0);
}

/** The odd-but-valid texts run for every free-text field: RTL override, as many astral characters as the field holds, combining marks, BOM. */
export const oddButValidExamples = (maxLength: number): string[] =>
  [
    '\u202eymedacA\u202c',
    '\u{1f468}\u200d\u{1f469}\u200d\u{1f467}'.repeat(Math.ceil(maxLength / 8)).slice(0, maxLength - (maxLength % 8)),
    '\u{10ffff}'.repeat(Math.floor(maxLength / 2)),
    `Z${'\u0301'.repeat(Math.min(maxLength - 1, 500))}`,
    '\ufeffName\u2028Line\u2029',
    '\u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627',
  ].filter((s) => s.length > 0 && s.length <= maxLength);

/** A hostile value for one field: a text, or JSON nesting given where a text is expected. */
export type Hostile =
  | { kind: 'text'; text: string; /** Sent unescaped inside the JSON string, as WTF-8 bytes. */ raw: boolean }
  | { kind: 'nested'; depth: number; shape: 'array' | 'object'; leaf: string };

export const describeHostile = (v: Hostile): string => {
  const show = (s: string) => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}…(${s.length})` : s);
  return v.kind === 'text' ? `text${v.raw ? ' raw' : ''} ${show(v.text)}` : `nested ${v.shape} depth ${v.depth} leaf ${show(v.leaf)}`;
};

/** Arbitrary Unicode with a NUL or a lone surrogate somewhere in it. */
const withHostileUnit = fc.tuple(unicodeText(), fc.array(hostileUnit, { minLength: 1, maxLength: 3 }), unicodeText()).map(([a, h, b]) => a + h.join('') + b);

/**
 * Values for a string field of at most `maxLength` code units (zod counts
 * UTF-16 code units): hostile text, only hostile units, RTL text with a NUL,
 * a text longer than the field allows (with or without a hostile unit at the
 * end, so a scanner that stops early is caught), and nesting from 1 level to
 * well beyond the parser's 64.
 */
export function hostileValue(maxLength: number | undefined): fc.Arbitrary<Hostile> {
  const over = Math.max(maxLength ?? 0, 1000) + 1;
  const text = (arb: fc.Arbitrary<string>, raw: fc.Arbitrary<boolean> = fc.constant(false)) => fc.record({ kind: fc.constant('text' as const), text: arb, raw });
  const long = fc
    .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 8 }), fc.integer({ min: over, max: over + 2000 }), fc.option(hostileUnit, { nil: '' }))
    .map(([chunk, n, h]) => chunk.repeat(Math.ceil(n / chunk.length)).slice(0, n) + h);
  const rtl = fc.tuple(fc.constantFrom(...BIDI), unicodeText(), hostileUnit, fc.constantFrom(...BIDI)).map((p) => p.join(''));
  return fc.oneof(
    { arbitrary: text(withHostileUnit, fc.boolean()), weight: 4 },
    { arbitrary: text(fc.array(hostileUnit, { minLength: 1, maxLength: 4 }).map((a) => a.join(''))), weight: 1 },
    { arbitrary: text(rtl), weight: 1 },
    { arbitrary: text(long), weight: 1 },
    {
      arbitrary: fc.record({
        kind: fc.constant('nested' as const),
        depth: fc.oneof(fc.integer({ min: 1, max: 80 }), fc.constantFrom(63, 64, 65, 200, 10_000)),
        shape: fc.constantFrom('array' as const, 'object' as const),
        leaf: fc.oneof(unicodeText(8), withHostileUnit),
      }),
      weight: 2,
    },
  );
}

/** The shapes issue 12 names, run for every field on top of the generated ones. */
export const hostileExamples = (maxLength: number | undefined): Hostile[] => [
  { kind: 'text', text: '\u0000', raw: false },
  { kind: 'text', text: 'Ada\u0000Lovelace', raw: false },
  { kind: 'text', text: '\ud800', raw: false },
  { kind: 'text', text: 'x\udfff', raw: false },
  { kind: 'text', text: '\u202eevil\u202c\u0000', raw: false },
  { kind: 'text', text: 'ok\ud800', raw: true },
  { kind: 'text', text: `${'\u05e9'.repeat(Math.max(maxLength ?? 0, 1000) + 1)}`, raw: false },
  { kind: 'nested', depth: 65, shape: 'array', leaf: 'x' },
  { kind: 'nested', depth: 10_000, shape: 'object', leaf: 'x' },
];

/** JSON text for a nested value (built as text: JSON.stringify recurses, and 10,000 levels is the point). */
export function nestedJson(v: Extract<Hostile, { kind: 'nested' }>): string {
  const leaf = JSON.stringify(v.leaf);
  return v.shape === 'array' ? `${'['.repeat(v.depth)}${leaf}${']'.repeat(v.depth)}` : `${'{"a":'.repeat(v.depth)}${leaf}${'}'.repeat(v.depth)}`;
}

/** A JSON string literal with only `"` and `\` escaped: control characters, NUL and lone surrogates go out as they are. */
export const rawJsonString = (s: string): string => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** The value as JSON text, as it goes into a body. */
export function hostileJson(v: Hostile): string {
  if (v.kind === 'nested') return nestedJson(v);
  return v.raw ? rawJsonString(v.text) : JSON.stringify(v.text);
}

/** The value as the text a query string or a path carries (nesting as its JSON text). */
export const hostileText = (v: Hostile): string => (v.kind === 'text' ? v.text : nestedJson(v));

/** Containers nested in a JSON value. */
export function depthOf(v: unknown): number {
  if (v === null || typeof v !== 'object') return 0;
  let max = 0;
  for (const x of Object.values(v as object)) max = Math.max(max, depthOf(x));
  return max + 1;
}

/** Every string (keys included) in a JSON value. */
export function stringsOf(v: unknown, out: string[] = []): string[] {
  if (typeof v === 'string') out.push(v);
  else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v as object)) {
      out.push(k);
      stringsOf(x, out);
    }
  }
  return out;
}

/**
 * UTF-8, except that a lone surrogate is written as its three-byte form
 * (WTF-8): bytes a UTF-8 decoder must refuse, which is how a lone surrogate
 * reaches a server over the wire.
 */
export function wtf8(s: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 1) {
    let c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i += 1;
      }
    }
    if (c < 0x80) out.push(c);
    else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
    else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return Buffer.from(out);
}

const UNRESERVED = /[A-Za-z0-9_~-]/;

/**
 * Percent-encodes the WTF-8 bytes of `s` (every byte but letters, digits, _ ~ -:
 * a `.` is encoded too, so no value becomes a `..` segment), at most
 * `budget` characters: Node refuses a request line over 16 KB with a bare 431
 * before the app sees it, which says nothing about the app.
 */
export function percentEncode(s: string, budget = 6000): string {
  let out = '';
  for (const b of wtf8(s)) {
    const c = String.fromCharCode(b);
    const piece = UNRESERVED.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    if (out.length + piece.length > budget) break;
    out += piece;
  }
  return out;
}

/** A cursor as the service would issue one: base64url of JSON text. */
export const cursorOf = (json: string): string => wtf8(json).toString('base64url');

/** Values that no cursor key accepts, whatever the key means (an instant, a uuid, a line number). */
const neverValidCursorValue: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('null', 'true', 'false', '0', '-1', '1e308', '8640000000000001', '[]', '{}', '[null]', '{"$gt":""}', '""', '" "'),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.integer({ min: 1, max: 150 }).map((d) => `${'['.repeat(d)}"2027-01-01T00:00:00Z"${']'.repeat(d)}`),
  fc.tuple(unicodeText(12), hostileUnit, unicodeText(12)).map(([a, h, b]) => JSON.stringify(a + h + b)),
  unicodeText(20).filter((s) => !/^\d{1,9}$/.test(s) && !/\d{4}-\d{2}-\d{2}/.test(s)).map((s) => JSON.stringify(`~${s}`)),
);

/** Instants that are not instants a cursor may carry: expanded and out-of-range years, impossible dates, no zone. */
export const badInstants = [
  '+275760-09-13T00:00:00.000Z', '275760-09-13T00:00:00Z', '-271821-04-20T00:00:00.000Z', '0000-01-01T00:00:00Z', '10000-01-01T00:00:00Z',
  '2027-02-30T00:00:00Z', '2027-13-01T00:00:00Z', '2027-01-01T24:00:00Z', '2027-01-01T00:60:00Z', '2027-01-01T00:00:00', '2027-01-01',
  '2027-01-01T00:00:00+25:00', 'Invalid Date', 'NaN', 'now', '١٩٧٠-٠١-٠١T00:00:00Z', '2027-01-01T00:00:00Z\u0000', '2027-01-01T00:00:00.0000000001Z',
] as const;
const badInstant = fc.oneof(fc.constantFrom(...badInstants).map((s) => JSON.stringify(s)), neverValidCursorValue);
const badUuid = fc.oneof(
  fc.constantFrom('00000000-0000-0000-0000-00000000000', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz', "' or '1'='1", '../../etc/passwd').map((s) => JSON.stringify(s)),
  fc.uuid().map((u) => JSON.stringify(`${u}\u0000`)),
  fc.uuid().map((u) => JSON.stringify(`${u}x`)),
  neverValidCursorValue,
);
const badLineNo = fc.oneof(fc.constantFrom('"1e3"', '"-1"', '"9999999999"', '""', '" 1"', '"١"', '1', '1.5', '"0x10"').map(String), neverValidCursorValue);

export type CursorKeyKind = 'instant' | 'uuid' | 'lineNo';
/** A valid value for each kind of cursor key, and one that is never valid. */
export const cursorKeyKinds: Record<CursorKeyKind, { valid: () => string; invalid: fc.Arbitrary<string> }> = {
  instant: { valid: () => '"2027-01-01T00:00:00.000Z"', invalid: badInstant },
  uuid: { valid: () => '"018f0000-0000-7000-8000-000000000000"', invalid: badUuid },
  lineNo: { valid: () => '"1"', invalid: badLineNo },
};

export interface ForgedCursor {
  label: string;
  cursor: string;
  /** False when the cursor may be one the list accepts (every key it reads is valid; extra members are ignored). */
  mustRefuse: boolean;
}

/**
 * Forged cursors for a list whose cursor carries `keys` (found by probing the
 * list, see the test): one key given a value it never accepts or left out,
 * extra members, a top level that is not an object, base64url of text that
 * is not JSON, characters that are not base64url, more than 512 characters.
 */
export function forgedCursor(keys: Record<string, CursorKeyKind>): fc.Arbitrary<ForgedCursor> {
  const names = Object.keys(keys);
  const validMembers = () => names.map((k) => `${JSON.stringify(k)}:${cursorKeyKinds[keys[k]!].valid()}`);
  const extra = fc.dictionary(unicodeText(10), fc.oneof(unicodeText(10).map((s) => JSON.stringify(s)), neverValidCursorValue), { maxKeys: 3 }).map((d) =>
    Object.entries(d).map(([k, v]) => `${JSON.stringify(`x${k}`)}:${v}`),
  );
  const oneBad = fc
    .tuple(fc.constantFrom(...names), fc.boolean(), extra)
    .chain(([bad, drop, more]) =>
      (drop ? fc.constant(undefined) : cursorKeyKinds[keys[bad]!].invalid).map((value) => {
        const members = names.filter((k) => k !== bad).map((k) => `${JSON.stringify(k)}:${cursorKeyKinds[keys[k]!].valid()}`);
        if (value !== undefined) members.push(`${JSON.stringify(bad)}:${value}`);
        const json = `{${[...members, ...more].join(',')}}`;
        return { label: `${bad} ${value === undefined ? 'left out' : `= ${value.slice(0, 40)}`}${more.length ? ` + ${more.length} extra` : ''}`, cursor: cursorOf(json), mustRefuse: true };
      }),
    );
  const onlyExtra = extra.map((more) => ({ label: `valid + ${more.length} extra members`, cursor: cursorOf(`{${[...validMembers(), ...more].join(',')}}`), mustRefuse: false }));
  const notObject = neverValidCursorValue.map((json) => ({ label: `top level ${json.slice(0, 40)}`, cursor: cursorOf(json), mustRefuse: true }));
  const notJson = unicodeText(30).map((s) => ({ label: `not JSON ${JSON.stringify(s.slice(0, 20))}`, cursor: cursorOf(`{${s}`), mustRefuse: true }));
  const notBase64 = fc.tuple(unicodeText(20), fc.constantFrom('', '\u0000', '\ud800', '%', '==', '+/')).map(([s, h]) => ({ label: `not base64url ${JSON.stringify((s + h).slice(0, 20))}`, cursor: `!${s}${h}`, mustRefuse: true }));
  const tooLong = fc.integer({ min: 513, max: 4000 }).map((n) => ({ label: `${n} characters`, cursor: cursorOf(`{${validMembers().join(',')},"pad":"${'p'.repeat(n)}"}`), mustRefuse: true }));
  return fc.oneof({ arbitrary: oneBad, weight: 6 }, onlyExtra, notObject, notJson, notBase64, tooLong);
}

/** The forged cursors issue 12 names, for every list. */
export function forgedCursorExamples(keys: Record<string, CursorKeyKind>): ForgedCursor[] {
  const with_ = (key: string, value: string) =>
    cursorOf(`{${Object.keys(keys).map((k) => `${JSON.stringify(k)}:${k === key ? value : cursorKeyKinds[keys[k]!].valid()}`).join(',')}}`);
  const out: ForgedCursor[] = [];
  for (const [k, kind] of Object.entries(keys)) {
    if (kind === 'instant') {
      for (const bad of ['"not a date"', '"+275760-09-13T00:00:00.000Z"', '"275760-01-01T00:00:00Z"', '8640000000000000', '"2027-02-30T00:00:00Z"']) {
        out.push({ label: `${k} = ${bad}`, cursor: with_(k, bad), mustRefuse: true });
      }
    }
    out.push({ label: `${k} = 12345`, cursor: with_(k, '12345'), mustRefuse: true }, { label: `${k} = {}`, cursor: with_(k, '{}'), mustRefuse: true });
  }
  out.push(
    { label: 'empty', cursor: '', mustRefuse: true },
    { label: 'base64url "null"', cursor: cursorOf('null'), mustRefuse: true },
    { label: 'base64url 150-deep array', cursor: cursorOf(`${'['.repeat(150)}${']'.repeat(150)}`), mustRefuse: true },
  );
  return out;
}
