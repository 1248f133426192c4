import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Paths that must never reach a log line. National ids are also masked by the
 * serializer below wherever they appear inside a free-text value.
 */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'res.headers["set-cookie"]',
  '*.nationalId',
  '*.national_id',
  '*.token',
  '*.password',
  '*.privateKey',
  '*.d',
  'nationalId',
  'token',
];

// Shapes of national identifiers we handle: Singapore NRIC/FIN, Indonesian NIK
// (16 digits), French NIR (13-15 digits). Masked in any logged string.
const nationalIdPattern = /\b([STFGM]\d{7}[A-Z]|\d{16}|[12]\d{12}(\d{2})?)\b/gi;

export function maskNationalIds(text: string): string {
  return text.replace(nationalIdPattern, '[national-id]');
}

/**
 * A request as logged: no headers, no query object, national ids masked in the
 * URL. pino-http replaces the logger's own `req` serializer with its default
 * one (headers, query, raw URL) unless it is handed this one explicitly.
 */
export const serializeRequest = (req: { id?: unknown; method?: string; url?: string }) => ({
  id: req.id,
  method: req.method,
  url: typeof req.url === 'string' ? maskNationalIds(req.url) : req.url,
});

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
    hooks: {
      logMethod(args, method) {
        const masked = args.map((a) => (typeof a === 'string' ? maskNationalIds(a) : a));
        method.apply(this, masked as Parameters<typeof method>);
      },
    },
    serializers: { req: serializeRequest },
  };
  return destination ? pino(options, destination) : pino(options);
}
