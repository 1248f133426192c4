import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

/**
 * Server-side request forgery guard for webhook endpoints. An endpoint URL
 * must be https, carry no credentials, and its host must not be, nor resolve
 * to, an address inside the service's own network or the cloud's metadata
 * service. The host is resolved when the endpoint is registered and again
 * at each delivery, where the connection is made to the address that was
 * checked (see guardedLookup), so a DNS answer that changes in between
 * (rebinding) reaches nothing it should not.
 *
 * The one exception, for development and tests, when WEBHOOKS_ALLOW_LOCAL
 * says so (never in production): http(s)://127.0.0.1:<port>.
 */
export interface AddressPolicy {
  allowLocal: boolean;
}

/** Why a URL or an address is refused, as a reason code and words for the problem's field message. */
export interface Refusal {
  reason: 'not_a_url' | 'https_required' | 'credentials_in_url' | 'forbidden_address' | 'unresolvable_host';
  message: string;
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24],
  ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  // Unspecified, loopback, the deprecated IPv4-compatible block and IPv4-translated addresses (RFC 6145, ::ffff:0:a.b.c.d); IPv4-mapped addresses are checked as IPv4 (ipv4Of).
  ['::', 96], ['::1', 128], ['::ffff:0:0:0', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32],
  ['2002::', 16], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) blocked.addSubnet(net, prefix, 'ipv6');

/** The IPv4 address an IPv4-mapped IPv6 address stands for (::ffff:127.0.0.1, ::ffff:7f00:1), or undefined. */
function ipv4Of(address: string): string | undefined {
  const m = /^(?:0{0,4}:){0,5}:?ffff:(.+)$/i.exec(address) ?? /^::ffff:(.+)$/i.exec(address);
  if (!m) return undefined;
  const rest = m[1]!;
  if (isIP(rest) === 4) return rest;
  const hex = /^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(rest);
  if (!hex) return undefined;
  const hi = parseInt(hex[1]!, 16);
  const lo = parseInt(hex[2]!, 16);
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

/** True when a delivery may connect to this IP address. */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 0) return false;
  if (family === 4) return !blocked.check(bare, 'ipv4');
  const mapped = ipv4Of(bare);
  if (mapped !== undefined) return !blocked.check(mapped, 'ipv4');
  return !blocked.check(bare, 'ipv6');
}

/** The development exception: exactly 127.0.0.1 with a port, http or https, when the policy allows it. */
function isAllowedLocal(url: URL, policy: AddressPolicy): boolean {
  return policy.allowLocal && url.hostname === '127.0.0.1' && url.port !== '';
}

/** An address of a checked host: the one the delivery connects to. */
export const isAllowedAddress = (address: string, url: URL, policy: AddressPolicy): boolean =>
  isPublicAddress(address) || (isAllowedLocal(url, policy) && address === '127.0.0.1');

/** What the URL's text alone decides: a refusal, or the parsed URL and the host (an IP literal or a name still to resolve). */
export function checkUrlShape(text: string, policy: AddressPolicy): Refusal | { url: URL; literal: boolean } {
  if (!URL.canParse(text)) return { reason: 'not_a_url', message: 'is not an absolute URL' };
  const url = new URL(text);
  if (url.username !== '' || url.password !== '') return { reason: 'credentials_in_url', message: 'must not carry a user name or password' };
  const local = isAllowedLocal(url, policy);
  if (url.protocol !== 'https:' && !(local && url.protocol === 'http:')) return { reason: 'https_required', message: 'must be an https:// URL' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const literal = isIP(host) !== 0;
  if (literal && !isAllowedAddress(host, url, policy)) {
    return { reason: 'forbidden_address', message: 'must not point at a private, loopback, link-local, multicast or metadata address' };
  }
  return { url, literal };
}

export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

export const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => (err ? reject(err) : resolve(addresses))));

/** Registration's check: the URL's shape, then every address its host resolves to. */
export async function checkEndpointUrl(text: string, policy: AddressPolicy, resolve: Resolver = systemResolver): Promise<Refusal | { url: URL }> {
  const shape = checkUrlShape(text, policy);
  if ('reason' in shape) return shape;
  if (shape.literal) return { url: shape.url };
  let addresses: LookupAddress[];
  try {
    addresses = await resolve(shape.url.hostname);
  } catch {
    return { reason: 'unresolvable_host', message: 'names a host that does not resolve' };
  }
  if (addresses.length === 0) return { reason: 'unresolvable_host', message: 'names a host that does not resolve' };
  if (addresses.some((a) => !isAllowedAddress(a.address, shape.url, policy))) {
    return { reason: 'forbidden_address', message: 'resolves to a private, loopback, link-local, multicast or metadata address' };
  }
  return { url: shape.url };
}

/** The error a delivery's connection fails with when its host resolves where it must not go. */
export class ForbiddenAddressError extends Error {
  readonly code = 'ERR_WEBHOOK_FORBIDDEN_ADDRESS';
}

/**
 * A `lookup` for http.request: resolves the host at connection time and
 * hands the socket only an address that passes the check, so the address
 * connected to is the address checked.
 */
export function guardedLookup(url: URL, policy: AddressPolicy, resolve: Resolver = systemResolver) {
  return (hostname: string, options: { all?: boolean }, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    resolve(hostname).then(
      (addresses) => {
        const bad = addresses.length === 0 || addresses.some((a) => !isAllowedAddress(a.address, url, policy));
        if (bad) return callback(new ForbiddenAddressError(`${hostname} resolves to a forbidden address`), '', 0);
        if (options.all) return callback(null, addresses);
        const first = addresses[0]!;
        return callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}
