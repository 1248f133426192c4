import { pino, symbols, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { maskNationalIds } from './national-id.js';

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
 * Masks national ids inside every JSON string (keys and values) of one
 * serialized log line. Numbers (time, durations) are left alone. A string
 * holding escapes is decoded first, so an id right after `\n` is still seen.
 */
export function maskLogLine(line: string): string {
  return line.replace(/"(?:[^"\\]|\\.)*"/g, (literal) => {
    if (!literal.includes('\\')) return maskNationalIds(literal);
    const value = JSON.parse(literal) as string;
    const masked = maskNationalIds(value);
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

/**
 * The service's logger. Whatever is logged through it, or through any child
 * of it, has national ids masked in every string of the line, errors reduced
 * to safe fields, requests to id, method and path, and the paths above
 * redacted. Children cannot swap these serializers back for pino's defaults
 * (pino-http hands its child pino-std-serializers' `err`, which copies every
 * field of an error, `params` and `detail` included).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      logMethod(args, method) {
        const [first, ...rest] = args as unknown[];
        const safe = [withSafeErrors(first), ...rest].map((a) => (typeof a === 'string' ? withoutQueryValues(a) : a));
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
  return destination ? pino(options, destination) : pino(options);
}
