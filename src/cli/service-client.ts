/**
 * How the command-line tools reach a running service: its URL from a flag,
 * then LC_URL, then http://127.0.0.1:3000; errors that name that URL.
 */

export const DEFAULT_SERVICE_URL = 'http://127.0.0.1:3000';

export class CliError extends Error {}

/** The service's base URL, without a trailing slash. */
export function serviceUrl(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const [value, source] = flag ? [flag, '--url'] : env.LC_URL ? [env.LC_URL, 'LC_URL'] : [DEFAULT_SERVICE_URL, 'the default'];
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliError(`${source} is not a URL: ${JSON.stringify(value)} (expected e.g. ${DEFAULT_SERVICE_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`${source} must be an http:// or https:// URL, not ${JSON.stringify(value)}`);
  return url.toString().replace(/\/+$/, '');
}

export interface ServiceAnswer {
  status: number;
  contentType: string;
  text: string;
}

/** One request; a network failure becomes a CliError naming the URL and how to give another. */
export async function request(base: string, path: string, init: { token: string; accept?: string }): Promise<ServiceAnswer> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${init.token}`, ...(init.accept ? { accept: init.accept } : {}) },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
    throw new CliError(`cannot reach the service at ${base} (${why}): is it running? Give its address with --url or LC_URL.`);
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** The answer's JSON when it has the expected status; otherwise a CliError with the service's own words. */
export function expectJson<T>(answer: ServiceAnswer, what: string, expected = 200): T {
  if (answer.status !== expected) throw new CliError(`${what}: ${answer.status} ${problemText(answer)}`);
  return JSON.parse(answer.text) as T;
}

/** A problem+json answer as one line: its code and detail. */
export function problemText(answer: ServiceAnswer): string {
  try {
    const p = JSON.parse(answer.text) as { code?: string; title?: string; detail?: string };
    return [p.code, p.detail ?? p.title].filter(Boolean).join(': ') || answer.text.slice(0, 500);
  } catch {
    return answer.text.slice(0, 500);
  }
}
