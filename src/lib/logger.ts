import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { pino, symbols, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { maskNationalIds } from './national-id.js';
import { maskShareTokens } from './share-token.js';

export type { Logger };
/** Owned by national-id.ts; re-exported for code that masks text it is about to log or expose. */
export { maskNationalIds };

/**
 * Paths that must never reach a log line. National ids are also masked in
 * every string of every line (`maskLogLine`), and errors are reduced to safe
 * fields (`serializeError`).
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.nationalId',
  '*.national_id',
  '*.fullName',
  '*.full_name',
  '*.dateOfBirth',
  '*.date_of_birth',
  // Equity profile attributes (personal data, like the national id).
  '*.gender',
  '*.disability',
  '*.urbanRural',
  '*.urban_rural',
  '*.token',
  '*.password',
  '*.privateKey',
  '*.d',
  'nationalId',
  'fullName',
  'dateOfBirth',
  'token',
];

/**
 * Masks national ids (and credential share tokens) inside every JSON string (keys and values) of one
 * serialized log line. Numbers (time, durations) are left alone. A string
 * holding escapes is decoded first, so an id right after `\n` is still seen.
 */
export function maskLogLine(line: string): string {
  return line.replace(/"(?:[^"\\]|\\.)*"/g, (literal) => {
    if (!literal.includes('\\')) return maskShareTokens(maskNationalIds(literal));
    const value = JSON.parse(literal) as string;
    const masked = maskShareTokens(maskNationalIds(value));
    return masked === value ? literal : JSON.stringify(masked);
  });
}

/**
 * The path of a URL without its query string (query values are never
 * logged), percent-decoded so that an id written `S%201234567D` is masked too.
 */
export function pathOnly(url: string): string {
  const path = url.replace(/[?#][\s\S]*$/, '');
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

interface LoggableRequest {
  id?: unknown;
  method?: string;
  url?: string;
  originalUrl?: string;
  raw?: LoggableRequest;
}

/**
 * A request as logged: its id, method and path. No headers, no query string,
 * no body. Accepts the raw Express request or pino-std-serializers' wrapper.
 */
export const serializeRequest = (req: LoggableRequest) => {
  const raw = req.raw ?? req;
  const url = raw.originalUrl ?? req.url ?? raw.url;
  return { id: req.id ?? raw.id, method: req.method ?? raw.method, url: typeof url === 'string' ? pathOnly(url) : url };
};

/** A response as logged: its status only (headers can carry file names and locations). */
export const serializeResponse = (res: { statusCode?: number; raw?: { statusCode?: number } }) => ({
  statusCode: res.statusCode ?? res.raw?.statusCode,
});

/** Fields of an error (pg's DatabaseError, Node's system errors) that hold no row values or parameters. */
const safeErrorFields = ['code', 'severity', 'constraint', 'table', 'column', 'schema', 'dataType', 'routine', 'syscall', 'status'] as const;

/** Words after which PostgreSQL puts a quoted identifier (kept); any other quoted text is a value (masked). */
const identifierBeforeQuote =
  /\b(relation|constraint|column|table|index|type|schema|function|procedure|routine|sequence|encoding|database|role|user|operator|domain|extension|trigger|view|collation|cursor|savepoint|statement|portal|channel|server|tablespace|policy|publication|subscription|rule|aggregate|language)\s+$/i;

/**
 * A failed query's values out of any text that quotes drizzle's message:
 * the `params: …` list drizzle appends is cut off, and string literals in
 * the SQL are masked.
 */
function withoutQueryValues(text: string): string {
  const cut = text.indexOf('\nparams:');
  const kept = cut >= 0 ? text.slice(0, cut) : text;
  const at = kept.indexOf('Failed query: ');
  return at < 0 ? kept : kept.slice(0, at) + kept.slice(at).replace(/'(?:[^']|'')*'/g, "'…'");
}

/**
 * An error message with its values taken out: a failed query's parameters
 * and literals (above), and quoted values in PostgreSQL's messages
 * (`invalid input syntax for type date: "…"`), while quoted identifiers
 * (`constraint "…"`) are kept.
 */
export function safeErrorMessage(message: string): string {
  const text = withoutQueryValues(message);
  const masked = text.includes('Failed query: ')
    ? text
    : text.replace(/"(?:[^"]|"")*"/g, (quoted, offset: number) => (identifierBeforeQuote.test(text.slice(Math.max(0, offset - 40), offset)) ? quoted : '"…"'));
  return masked.length > 2000 ? `${masked.slice(0, 2000)}…` : masked;
}

function errorType(err: Record<string, unknown>): string {
  if (err instanceof Error) return err.constructor?.name || err.name || 'Error';
  if (typeof err.type === 'string') return err.type;
  return typeof err.name === 'string' ? err.name : 'Error';
}

function safeError(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return safeErrorMessage(value);
  if (value === null || typeof value !== 'object') return value;
  // pino-std-serializers hands over its own copy (every enumerable field, `params` included) with the original as `raw`.
  const raw = (value as { raw?: unknown }).raw;
  const err = (raw && typeof raw === 'object' ? raw : value) as Record<string, unknown>;
  const out: Record<string, unknown> = { type: errorType(err) };
  if (typeof err.message === 'string') out.message = safeErrorMessage(err.message);
  for (const field of safeErrorFields) {
    const v = err[field];
    if (typeof v === 'string' || typeof v === 'number') out[field] = v;
  }
  if (typeof err.stack === 'string') {
    const frames = err.stack.split('\n').filter((line) => /^\s+at /.test(line));
    out.stack = [`${String(out.type)}: ${String(out.message ?? '')}`, ...frames].join('\n');
  }
  if (depth < 4 && err.cause !== undefined) out.cause = safeError(err.cause, depth + 1);
  if (depth < 4 && Array.isArray(err.errors)) out.errors = err.errors.slice(0, 10).map((e) => safeError(e, depth + 1));
  return out;
}

/**
 * An error as logged: its type, SQLSTATE or system code, constraint, table,
 * column, its message with values masked, its stack frames and its causes.
 * Never the failed query's parameters, never a pg error's `detail`, `hint`
 * or `where` (they quote row values), never any other field an error carries.
 */
export const serializeError = (err: unknown): unknown => safeError(err, 0);

const safeSerializers = { req: serializeRequest, res: serializeResponse, err: serializeError };

/** Errors anywhere at the top of a log call's object go through `serializeError`, under whatever key. */
function withSafeErrors(arg: unknown): unknown {
  if (arg instanceof Error) return { err: serializeError(arg) };
  if (arg === null || typeof arg !== 'object' || Array.isArray(arg)) return arg;
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(arg)) {
    if (value instanceof Error) (copy ??= { ...(arg as Record<string, unknown>) })[key] = serializeError(value);
  }
  return copy ?? arg;
}

/** Resolves from this file, in src/lib/ and in dist/lib/ alike (package.json is two folders up from both). */
const localRequire = createRequire(import.meta.url);

/** The service's version (package.json), on every log line. */
export const serviceVersion: string = (() => {
  try {
    return String((localRequire('../../package.json') as { version?: unknown }).version ?? 'unknown');
  } catch {
    return process.env.npm_package_version ?? 'unknown';
  }
})();

/** `auto`: pretty on a terminal when pino-pretty is installed, JSON otherwise. */
export type LogFormat = 'auto' | 'json' | 'pretty';

/** One line per entry for a person at a terminal: `GET /v1/schemes 200 12 ms` for requests. */
function prettyMessage(log: Record<string, unknown>, messageKey: string): string {
  const msg = String(log[messageKey] ?? '');
  const req = log.req as { method?: string; url?: string } | undefined;
  if (!req?.method) return msg;
  const res = log.res as { statusCode?: number } | undefined;
  if (res?.statusCode !== undefined && typeof log.responseTime === 'number' && /^request (completed|errored)$/.test(msg)) {
    return `${req.method} ${req.url ?? ''} ${res.statusCode} ${log.responseTime} ms`;
  }
  return `${msg} (${req.method} ${req.url ?? ''})`;
}

/**
 * Where the service's own log goes: a pino-pretty stream when asked for (or,
 * with `auto`, when stdout is a terminal) and pino-pretty can be loaded, or
 * undefined for JSON on stdout. pino-pretty is a development dependency: an
 * install without it (production) logs JSON and still starts. `load` and
 * `isTTY` are for tests.
 */
export function stdoutDestination(
  format: LogFormat = 'auto',
  options: { isTTY?: boolean; load?: (name: string) => unknown } = {},
): { stream?: DestinationStream; note?: string } {
  const isTTY = options.isTTY ?? process.stdout.isTTY === true;
  if (format === 'json' || (format === 'auto' && !isTTY)) return {};
  let pretty: (options: Record<string, unknown>) => DestinationStream;
  try {
    const loaded = (options.load ?? localRequire)('pino-pretty') as { default?: unknown };
    pretty = (typeof loaded.default === 'function' ? loaded.default : loaded) as typeof pretty;
  } catch (err) {
    if ((err as { code?: string }).code !== 'MODULE_NOT_FOUND') throw err;
    return format === 'pretty' ? { note: 'LOG_FORMAT=pretty, but pino-pretty is not installed (it is a development dependency): logging JSON' } : {};
  }
  return {
    stream: pretty({
      sync: true, // every line is out before process.exit
      colorize: isTTY,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,version,req,res,responseTime',
      messageFormat: prettyMessage,
      singleLine: true,
    }),
  };
}

/**
 * The service's logger. Whatever is logged through it, or through any child
 * of it, has national ids masked in every string of the line, errors reduced
 * to safe fields, requests to id, method and path, and the paths above
 * redacted. Children cannot swap these serializers back for pino's defaults
 * (pino-http hands its child pino-std-serializers' `err`, which copies every
 * field of an error, `params` and `detail` included). Every line carries the
 * service's `version`.
 *
 * Without a destination it writes to stdout in `format` (see
 * stdoutDestination); the masking applies before pino-pretty sees a line.
 * Once `stopping()` is true (the service is shutting down), warnings and
 * errors are written at info, marked `duringShutdown: true`.
 */
export function createLogger(level: string, destination?: DestinationStream, options: { format?: LogFormat; stopping?: () => boolean } = {}): Logger {
  const stopping = options.stopping ?? (() => false);
  const loggerOptions: LoggerOptions = {
    level,
    base: { pid: process.pid, hostname: hostname(), version: serviceVersion },
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      logMethod(args, method, levelValue) {
        const [first, ...rest] = args as unknown[];
        const safe = [withSafeErrors(first), ...rest].map((a) => (typeof a === 'string' ? withoutQueryValues(a) : a));
        if ((levelValue === 40 || levelValue === 50) && stopping()) {
          // Stopping: what fails now (a database stopped by the same Ctrl-C, a sweep cut short) is the shutdown, not a fault.
          const [obj, ...more] = typeof safe[0] === 'object' && safe[0] !== null ? safe : [{}, ...safe];
          (this.info as (...a: unknown[]) => void)({ ...(obj as object), duringShutdown: true }, ...more);
          return;
        }
        method.apply(this, safe as Parameters<typeof method>);
      },
      streamWrite: maskLogLine,
    },
    serializers: safeSerializers,
    onChild(child) {
      const serializers = (child as unknown as Record<symbol, object | undefined>)[symbols.serializersSym];
      if (serializers) Object.assign(serializers, safeSerializers);
    },
  };
  if (destination) return pino(loggerOptions, destination);
  const { stream, note } = stdoutDestination(options.format);
  const logger = stream ? pino(loggerOptions, stream) : pino(loggerOptions);
  if (note) logger.warn(note);
  return logger;
}

/** A request's place in a W3C trace: the trace it belongs to and the span id this service gives it. */
export interface TraceContext {
  traceId: string;
  /** This service's span for the request: the parent id of the `traceparent` it returns. */
  spanId: string;
  /** trace-flags as received (sampled, random); 00 when the trace starts here. */
  flags: string;
  /** The `traceparent` header value returned with the response. */
  traceparent: string;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const allZero = /^0+$/;

/**
 * A `traceparent` header (W3C Trace Context) parsed, or undefined when it is
 * not valid: lower-case hex only, version ff and all-zero ids refused,
 * version 00 exactly 55 characters; a later version may carry more fields,
 * which are ignored. Two headers (joined by a comma) are not valid.
 */
export function parseTraceparent(header: unknown): { traceId: string; parentId: string; flags: string } | undefined {
  if (typeof header !== 'string') return undefined;
  const m = TRACEPARENT.exec(header.trim());
  if (!m) return undefined;
  const [, version, traceId, parentId, flags, more] = m as unknown as [string, string, string, string, string, string | undefined];
  if (version === 'ff' || (version === '00' && more !== undefined)) return undefined;
  if (allZero.test(traceId) || allZero.test(parentId)) return undefined;
  return { traceId, parentId, flags };
}

function randomHex(bytes: number): string {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (!allZero.test(hex)) return hex;
  }
}

const traces = new WeakMap<object, TraceContext>();

/**
 * The trace of a request: taken from its valid `traceparent` header, or
 * started here. The first call sets the `traceparent` response header (this
 * service's span as the parent); later calls for the same request return the
 * same context.
 */
export function traceContext(
  req: { headers: Record<string, string | string[] | undefined> },
  res: { setHeader(name: string, value: string): unknown; headersSent?: boolean },
): TraceContext {
  const known = traces.get(req);
  if (known) return known;
  const given = parseTraceparent(req.headers.traceparent);
  const traceId = given?.traceId ?? randomHex(16);
  const spanId = randomHex(8);
  const flags = given?.flags ?? '00';
  const context = { traceId, spanId, flags, traceparent: `00-${traceId}-${spanId}-${flags}` };
  traces.set(req, context);
  if (!res.headersSent) res.setHeader('traceparent', context.traceparent);
  return context;
}
