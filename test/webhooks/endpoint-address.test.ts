import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { checkEndpointUrl, isPublicAddress } from '../../src/modules/webhooks/endpoint-address.js';
import { nextAttemptAt, retrySchedule } from '../../src/modules/webhooks/retry-schedule.js';
import { signatureHeader } from '../../src/modules/webhooks/signing.js';

const strict = { allowLocal: false };
const devLocal = { allowLocal: true };

describe('signatures (Standard Webhooks)', () => {
  it("when the specification's test vector is signed, then the signature is the published one, and the package verifies it", () => {
    // The vector of the Standard Webhooks reference libraries' tests.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const at = new Date(1614265330 * 1000);
    const payload = '{"test": 2432232314}';
    expect(signatureHeader([secret], id, at, payload)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    const now = Date.now;
    Date.now = () => at.getTime();
    try {
      const headers = { 'webhook-id': id, 'webhook-timestamp': '1614265330', 'webhook-signature': signatureHeader([secret], id, at, payload) };
      expect(new Webhook(secret).verify(payload, headers)).toEqual({ test: 2432232314 });
      expect(() => new Webhook(secret).verify('{"test": 2432232315}', headers)).toThrow();
    } finally {
      Date.now = now;
    }
  });

  it('when two secrets are live, then the header carries two space-separated signatures, each verifying with its own secret', () => {
    const a = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const b = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const at = new Date();
    const header = signatureHeader([b, a], 'msg_x', at, '{}');
    expect(header.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'msg_x', 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)), 'webhook-signature': header };
    expect(() => new Webhook(a).verify('{}', headers)).not.toThrow();
    expect(() => new Webhook(b).verify('{}', headers)).not.toThrow();
    expect(() => new Webhook(`whsec_${Buffer.alloc(32, 9).toString('base64')}`).verify('{}', headers)).toThrow();
  });
});

describe('the SSRF guard', () => {
  it.each([
    ['http://hooks.example.com/x', 'https_required'],
    ['ftp://hooks.example.com/x', 'https_required'],
    ['https://user:pass@93.184.215.14/x', 'credentials_in_url'],
    ['https://10.0.0.1/x', 'forbidden_address'],
    ['https://172.16.5.4/x', 'forbidden_address'],
    ['https://192.168.1.1/x', 'forbidden_address'],
    ['https://100.64.0.1/x', 'forbidden_address'],
    ['https://127.0.0.1/x', 'forbidden_address'],
    ['https://169.254.169.254/latest/meta-data', 'forbidden_address'],
    ['https://0.0.0.0/x', 'forbidden_address'],
    ['https://224.0.0.1/x', 'forbidden_address'],
    ['https://[::1]/x', 'forbidden_address'],
    ['https://[::]/x', 'forbidden_address'],
    ['https://[fd00::1]/x', 'forbidden_address'],
    ['https://[fe80::1]/x', 'forbidden_address'],
    ['https://[ff02::1]/x', 'forbidden_address'],
    ['https://[::ffff:127.0.0.1]/x', 'forbidden_address'],
    ['https://[::ffff:169.254.169.254]/x', 'forbidden_address'],
    ['https://[64:ff9b::a00:1]/x', 'forbidden_address'],
    ['https://localhost/x', 'forbidden_address'],
    ['https://2130706433/x', 'forbidden_address'],
    ['https://0x7f.1/x', 'forbidden_address'],
    ['not a url', 'not_a_url'],
  ])('when an endpoint is %s, then it is refused: %s', async (url, reason) => {
    const r = await checkEndpointUrl(url, strict);
    expect('reason' in r ? r.reason : 'accepted').toBe(reason);
  });

  it('when a public address or a name resolving only to public addresses is given, then it is accepted', async () => {
    expect(await checkEndpointUrl('https://93.184.215.14/hook', strict)).not.toHaveProperty('reason');
    expect(await checkEndpointUrl('https://[2606:4700::1111]/hook', strict)).not.toHaveProperty('reason');
    const resolve = async () => [{ address: '93.184.215.14', family: 4 }];
    expect(await checkEndpointUrl('https://hooks.example.edu/x', strict, resolve)).not.toHaveProperty('reason');
  });

  it('when a name resolves to one public and one private address (rebinding bait), then it is refused', async () => {
    const resolve = async () => [{ address: '93.184.215.14', family: 4 }, { address: '10.1.2.3', family: 4 }];
    expect(await checkEndpointUrl('https://hooks.example.edu/x', strict, resolve)).toMatchObject({ reason: 'forbidden_address' });
  });

  it('when local deliveries are allowed (development), then only http(s)://127.0.0.1:<port> is let through', async () => {
    expect(await checkEndpointUrl('http://127.0.0.1:8080/x', devLocal)).not.toHaveProperty('reason');
    expect(await checkEndpointUrl('http://127.0.0.1:8080/x', strict)).toMatchObject({ reason: 'https_required' });
    expect(await checkEndpointUrl('http://127.0.0.1/x', devLocal)).toMatchObject({ reason: 'https_required' });
    expect(await checkEndpointUrl('http://localhost:8080/x', devLocal)).toMatchObject({ reason: 'https_required' });
    expect(await checkEndpointUrl('https://10.0.0.1:8080/x', devLocal)).toMatchObject({ reason: 'forbidden_address' });
  });

  it('when any IPv4 address is mapped into IPv6, then it is judged as the IPv4 address', () => {
    fc.assert(fc.property(fc.ipV4(), (v4) => {
      expect(isPublicAddress(`::ffff:${v4}`)).toBe(isPublicAddress(v4));
    }));
  });
});

describe('the retry schedule', () => {
  it('when attempts keep failing, then each waits longer (up to the cap, with jitter) and none falls more than 3 days after the first', () => {
    fc.assert(fc.property(fc.array(fc.double({ min: 0, max: 0.999999, noNaN: true }), { minLength: 60, maxLength: 60 }), (randoms) => {
      const first = new Date('2027-01-01T00:00:00Z');
      let last = first;
      let attempts = 1;
      for (;;) {
        const next = nextAttemptAt(first, last, attempts, randoms[attempts % randoms.length]);
        if (!next) break;
        const delay = next.getTime() - last.getTime();
        expect(delay).toBeGreaterThanOrEqual(retrySchedule.firstDelayMs * 0.9 - 1);
        expect(delay).toBeLessThanOrEqual(retrySchedule.maxDelayMs * 1.1 + 1);
        expect(next.getTime() - first.getTime()).toBeLessThanOrEqual(retrySchedule.windowMs);
        last = next;
        attempts += 1;
      }
      expect(attempts).toBeGreaterThan(12);
      expect(attempts).toBeLessThan(30);
      // The schedule ends only because the next attempt would be past the window.
      expect(last.getTime() - first.getTime()).toBeGreaterThan(retrySchedule.windowMs - retrySchedule.maxDelayMs * 1.1);
    }), { numRuns: 50 });
  });
});
