/** The SQLSTATE of a pg error, wherever drizzle put it. */
export function sqlState(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export const isRetryable = (err: unknown): boolean => {
  const s = sqlState(err);
  return s === '40001' || s === '40P01';
};

/** The database is down, restarting or unreachable: a 503, not a 500. */
export function isUnavailable(err: unknown): boolean {
  const s = sqlState(err);
  if (s && (s.startsWith('08') || s === '57P01' || s === '57P02' || s === '57P03' || s === '53300')) return true;
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    const message = String((e as { message?: unknown }).message ?? '');
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETIMEDOUT') return true;
    if (/Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(message))
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
