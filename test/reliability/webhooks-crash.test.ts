import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { recordEvent } from '../../src/modules/events/outbox.js';
import { authKeys, dbClient, must, service, sleep, startPg, type Keys, type Pg, type Service } from './support.js';

/**
 * Issue 17, crash: outbox events are committed while the service (its
 * worker: relay and webhook deliveries) is killed with SIGKILL, again and
 * again, while deliveries are in flight (the receiver takes its time to
 * answer), and restarted. A receiver that deduplicates by webhook-id must
 * get every event exactly once: none lost, none that its dedupe would not
 * catch.
 */
const EVENTS = 120;
const KILLS = 4;

let pg: Pg;
let keys: Keys;
let svc: Service;
let database: Database;
let receiver: Server;
let receiverPort: number;

/** What the receiver saw: every request, and the first of each webhook-id with its verified body. */
const requests: string[] = [];
const firstById = new Map<string, { eventId: string }>();
let badSignatures = 0;
let secret = '';

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const id = String(req.headers['webhook-id']);
      requests.push(id);
      try {
        const payload = new Webhook(secret).verify(body, req.headers as Record<string, string>) as { data: { eventId: string } };
        if (!firstById.has(id)) firstById.set(id, { eventId: payload.data.eventId });
      } catch {
        badSignatures += 1;
      }
      // Slow answers, so that kills land while deliveries are in flight.
      setTimeout(() => res.writeHead(200).end('ok'), 50 + Math.floor(Math.random() * 250));
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverPort = (receiver.address() as AddressInfo).port;
  pg = await startPg();
  keys = await authKeys(pg.dir);
  svc = await service(pg, keys, pg.dir, { WEBHOOKS_ALLOW_LOCAL: 'true', WORKER_RELAY_INTERVAL_MS: '100' });
  await svc.start();
  database = dbClient(pg);
}, 240_000);

afterAll(async () => {
  await svc?.stop();
  await database?.close();
  await pg?.close();
  await new Promise((r) => receiver?.close(r));
});

describe('crash: SIGKILL between commit and delivery, restart', () => {
  it('delivers every committed event exactly once to a receiver that deduplicates by webhook-id', async () => {
    const admin = await keys.token('admin');
    const provider = await must(svc.base, '/v1/providers', admin, {
      legalName: `Academy ${randomUUID().slice(0, 6)}`, registrationNumber: `2019${randomUUID().slice(0, 6).toUpperCase()}K`, country: 'SG',
      contactEmail: 'ops@academy.example', bankAccount: { accountName: 'Academy Pte Ltd', bankCode: '7171', accountNumber: '0123456789' },
    });
    const providerToken = await keys.token('provider', { providerId: provider.id });
    const endpoint = await must(svc.base, '/v1/providers/me/webhook-endpoints', providerToken, {
      url: `http://127.0.0.1:${receiverPort}/hooks`, eventTypes: ['claim.approved'],
    });
    secret = endpoint.secret;

    // Events commit in bursts; between bursts the service is killed at a random moment and restarted.
    const eventIds: string[] = [];
    const commit = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const subject = { type: 'claim', id: randomUUID() };
        await recordEvent(database.db, { type: 'claim.approved', at: new Date(), subject, providerId: provider.id, data: { claimId: subject.id, amount: '1000', currency: 'SGD' } });
      }
      const r = await database.db.execute<{ id: string }>(sql`select id from outbox_events order by seq`);
      eventIds.splice(0, eventIds.length, ...r.rows.map((x) => x.id));
    };
    const perBurst = Math.ceil(EVENTS / (KILLS + 1));
    for (let k = 0; k < KILLS; k++) {
      await commit(perBurst);
      await sleep(200 + Math.floor(Math.random() * 1200));
      await svc.kill9();
      // Some events commit while nothing runs.
      await commit(3);
      await svc.start();
    }
    await commit(EVENTS - eventIds.length);
    expect(eventIds).toHaveLength(EVENTS);

    // Jobs that were running when a process died are expired by the queue and run again: wait for them.
    const deadline = Date.now() + 300_000;
    const undelivered = async () =>
      (await database.db.execute<{ n: number }>(sql`select count(*)::int n from outbox_events e
        where not exists (select 1 from webhook_deliveries d where d.event_id = e.id and d.status = 'delivered')`)).rows[0]!.n;
    while (Date.now() < deadline && (firstById.size < EVENTS || (await undelivered()) > 0)) await sleep(500);

    expect(badSignatures).toBe(0);
    expect(firstById.size).toBe(EVENTS);
    expect(new Set([...firstById.values()].map((v) => v.eventId))).toEqual(new Set(eventIds));
    expect(await undelivered()).toBe(0);
    const rows = await database.db.execute<{ n: number; events: number }>(sql`select count(*)::int n, count(distinct event_id)::int events from webhook_deliveries`);
    expect(rows.rows[0]).toEqual({ n: EVENTS, events: EVENTS });
    // Every request the receiver got was one of these deliveries; a repeat is a delivery the kill interrupted.
    expect(new Set(requests).size).toBe(EVENTS);
    const undispatched = await database.db.execute<{ n: number }>(sql`select count(*)::int n from outbox_events where dispatched_at is null`);
    expect(undispatched.rows[0]!.n).toBe(0);
    process.stdout.write(`webhooks crash: ${EVENTS} events, ${KILLS} kills, ${requests.length} requests for ${firstById.size} webhook-ids\n`);
  });
});
