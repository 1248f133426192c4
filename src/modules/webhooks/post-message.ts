import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';
import { checkUrlShape, ForbiddenAddressError, guardedLookup, type AddressPolicy, type Resolver } from './endpoint-address.js';

/** The most of a receiver's answer that is kept: enough to see what it said, never a body to store. */
export const EXCERPT_CHARS = 256;

/** Why an attempt failed; endpoint_disabled: the endpoint was disabled or deleted, so nothing was sent. */
export type ErrorClass = 'http_status' | 'timeout' | 'forbidden_address' | 'connection' | 'tls' | 'invalid_url' | 'endpoint_disabled';

export interface PostOutcome {
  ok: boolean;
  statusCode: number | null;
  errorClass: ErrorClass | null;
  excerpt: string | null;
  durationMs: number;
}

const tlsCodes = /^(ERR_TLS|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_SSL)/;

function classify(err: NodeJS.ErrnoException): ErrorClass {
  if (err instanceof ForbiddenAddressError) return 'forbidden_address';
  if (err.name === 'TimeoutError') return 'timeout';
  if (err.code && tlsCodes.test(err.code)) return 'tls';
  return 'connection';
}

/** Printable text only, capped: an excerpt must not smuggle control characters into a log or a page. */
const excerptOf = (text: string) => text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, EXCERPT_CHARS);

/**
 * POSTs one message. The URL is checked again and the connection made only
 * to an address that passes the check (guardedLookup); redirects are not
 * followed (a 3xx is a failed attempt); the whole exchange is cut at
 * timeoutMs. Never throws: the outcome says what happened.
 */
export async function postMessage(
  urlText: string,
  body: string,
  headers: Record<string, string>,
  options: { policy: AddressPolicy; timeoutMs: number; resolve?: Resolver },
): Promise<PostOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const shape = checkUrlShape(urlText, options.policy);
  if ('reason' in shape) {
    const errorClass: ErrorClass = shape.reason === 'forbidden_address' ? 'forbidden_address' : 'invalid_url';
    return { ok: false, statusCode: null, errorClass, excerpt: null, durationMs: elapsed() };
  }
  const { url } = shape;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<PostOutcome>((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<PostOutcome, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...outcome, durationMs: elapsed() });
    };
    const req = send(url, {
      method: 'POST',
      agent: false,
      lookup: guardedLookup(url, options.policy, options.resolve) as never,
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'LearningCredits-Webhooks/1', ...headers },
    }, (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (text.length < EXCERPT_CHARS) text += chunk;
        else res.destroy();
      });
      const done = () => finish({ ok, statusCode: status, errorClass: ok ? null : 'http_status', excerpt: ok || text === '' ? null : excerptOf(text) });
      res.on('end', done);
      res.on('close', done);
      res.on('error', done);
    });
    const timer = setTimeout(() => {
      const err = new Error(`no answer within ${options.timeoutMs} ms`);
      err.name = 'TimeoutError';
      req.destroy(err);
    }, options.timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, statusCode: null, errorClass: classify(err), excerpt: null }));
    req.end(body);
  });
}
