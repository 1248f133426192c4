import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/db/embedded.js';
import { ledgerViolations } from '../../src/ledger/invariants.js';
import { ensureDevSigningKey } from '../../src/lib/dev-keys.js';
import { advanceTo, approvedClaimIn, credentialPayload, enrolled, factsFor, HOUR, signCredential, submitClaim, usePaymentWorld } from '../claims/credential-fixtures.js';
import { proposedBatch, releasedBatch, type ReleasedBatch } from '../support/finance.js';
import { useHarness } from '../support/harness.js';
import { schemaErrors, schemasAvailable, schemasMissingReason } from '../support/iso20022.js';
import { runTs } from './cli-support.js';

/**
 * `npm run bank-statement` plays the bank for a newcomer: it reads a released
 * batch from a running service and prints the statement the bank would send.
 * Here the service is the app on a real port, the CLI its own process; what
 * it prints must be schema-valid camt.053.001.08 (or the statement CSV) and
 * must do what a bank's statement does when imported.
 */

const h = useHarness({ poolSize: 20 });
const pay = usePaymentWorld(h, { financeSub: 'officer-imports' });
let server: Server;
let url: string;

beforeAll(async () => {
  server = h.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const address = server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

if (!schemasAvailable) console.warn(`bank-statement-cli.test.ts: ${schemasMissingReason}`);

/** An approved claim of 300.00 SGD in a batch released by a second officer. */
async function releasedPayment(): Promise<{ claimId: string; batch: ReleasedBatch; ref: string }> {
  const { claim } = await approvedClaimIn(h, pay.world, pay.signer);
  const batch = await releasedBatch(h, { currency: 'SGD' });
  expect(batch.lines).toHaveLength(1);
  return { claimId: claim.id, batch, ref: batch.lines[0]!.endToEndId };
}

const bank = (args: string[], env: Record<string, string> = {}) => runTs('src/cli/bank-statement.ts', args, { LC_URL: url, LC_TOKEN: pay.finance, ...env });

const importStatement = (contentType: string, body: string) =>
  request(h.app).post('/v1/bank-statements').set('authorization', `Bearer ${pay.finance}`).set('idempotency-key', randomUUID()).type(contentType).send(body);

const get = (p: string) => request(h.app).get(p).set('authorization', `Bearer ${pay.finance}`);

async function expectValidCamt(xml: string) {
  if (schemasAvailable) expect(await schemaErrors('camt053', xml)).toEqual([]);
}

async function expectLedgerSound() {
  await h.ledger.foldDeltas(h.database.db);
  expect(await ledgerViolations(h.database.db)).toEqual([]);
}

describe('npm run bank-statement', () => {
  it('when a released batch is played as camt.053, then the file validates against camt.053.001.08.xsd, is for the treasury account, and importing it settles the line and pays the claim', async () => {
    const p = await releasedPayment();
    const out = await bank(['--batch', p.batch.id]);
    expect(out.code, out.stderr).toBe(0);
    await expectValidCamt(out.stdout);
    expect(out.stdout).toContain('<Othr><Id>0720123456</Id></Othr>'); // the SGD treasury account of the payment file
    expect(out.stdout).toContain(`<EndToEndId>${p.ref}</EndToEndId>`);
    expect(out.stdout).toContain('<Amt Ccy="SGD">300.00</Amt>');
    expect(out.stderr).toMatch(/1 payment\(s\) and 0 return\(s\) booked/);

    const res = await importStatement('application/xml', out.stdout);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ outcome: 'reconciled', settled: 1, exceptions: 0 });
    expect((await get(`/v1/claims/${p.claimId}`)).body.status).toBe('paid');
    expect((await get(`/v1/disbursement-batches/${p.batch.id}`)).body.status).toBe('settled');

    // Later, the creditor's bank sends it back: only the return is reported, the payment is not reported twice.
    const back = await bank(['--batch', p.batch.id, '--return', p.ref]);
    expect(back.code, back.stderr).toBe(0);
    await expectValidCamt(back.stdout);
    expect(back.stdout).not.toContain('<CdtDbtInd>DBIT</CdtDbtInd><Sts>');
    expect(back.stdout).toContain('<SubFmlyCd>RRTN</SubFmlyCd>');
    const returned = await importStatement('application/xml', back.stdout);
    expect(returned.status, returned.text).toBe(201);
    expect(returned.body).toMatchObject({ returned: 1 });
    const batch = (await get(`/v1/disbursement-batches/${p.batch.id}`)).body;
    expect(batch.lines[0].status).toBe('returned');
    expect(batch.status).toBe('returned');
    expect((await get(`/v1/claims/${p.claimId}`)).body.status).toBe('approved');
    await expectLedgerSound();
  });

  it('when --return is given for a pending payment, then one statement pays and returns it and the batch shows returned, not partially_settled', async () => {
    const p = await releasedPayment();
    const out = await bank(['--batch', p.batch.id, '--return', p.ref]);
    expect(out.code, out.stderr).toBe(0);
    await expectValidCamt(out.stdout);
    const res = await importStatement('application/xml', out.stdout);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ outcome: expect.any(String), settled: 1, returned: 1 });
    expect((await get(`/v1/disbursement-batches/${p.batch.id}`)).body.status).toBe('returned');
    await expectLedgerSound();
  });

  it('when --format csv, then the statement CSV names the account and importing it settles the line', async () => {
    const p = await releasedPayment();
    const out = await bank(['--batch', p.batch.id, '--format', 'csv']);
    expect(out.code, out.stderr).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[1]).toBe('# account: 0720123456');
    expect(lines[2]).toBe('booking_date,end_to_end_id,amount,currency,direction,type,status');
    expect(lines.filter((l) => l.includes(`,${p.ref},`))).toHaveLength(1);
    const res = await importStatement('text/csv', out.stdout);
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ settled: 1, exceptions: 0 });
    expect((await get(`/v1/disbursement-batches/${p.batch.id}`)).body.status).toBe('settled');
  });

  it('when --pending, then the entries are PDNG: recorded, nothing moves, and a later booked statement still settles', async () => {
    const p = await releasedPayment();
    const pending = await bank(['--batch', p.batch.id, '--pending']);
    expect(pending.code, pending.stderr).toBe(0);
    await expectValidCamt(pending.stdout);
    expect(pending.stdout).toContain('<Sts><Cd>PDNG</Cd></Sts>');
    const recorded = await importStatement('application/xml', pending.stdout);
    expect(recorded.status, recorded.text).toBe(201);
    expect(recorded.body).toMatchObject({ settled: 0, pending: 1 });
    expect((await get(`/v1/disbursement-batches/${p.batch.id}`)).body.lines[0].status).toBe('pending');

    const booked = await bank(['--batch', p.batch.id]);
    expect((await importStatement('application/xml', booked.stdout)).body).toMatchObject({ settled: 1 });
    expect((await get(`/v1/claims/${p.claimId}`)).body.status).toBe('paid');
  });

  it('when every line is already settled and nothing is returned, then exit 1 saying there is nothing to report', async () => {
    const p = await releasedPayment();
    expect((await importStatement('application/xml', (await bank(['--batch', p.batch.id])).stdout)).body).toMatchObject({ settled: 1 });
    const again = await bank(['--batch', p.batch.id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/nothing for the bank to report/);
    expect(again.stderr).toContain('already settled');
  });

  it('when the batch is only proposed, then exit 1 saying a second officer must approve it first', async () => {
    const e = await enrolled(h, pay.world, { fee: '30000', credit: '50000' });
    advanceTo(h, new Date(e.endsAt.getTime() + 2 * HOUR));
    const credential = await signCredential(credentialPayload(factsFor(pay.world, e, h)), pay.signer);
    expect((await submitClaim(h, pay.world.providerToken, { enrolmentId: e.enrolmentId, amount: e.reserved, credential })).body.status).toBe('approved');
    const batch = await proposedBatch(h, { currency: 'SGD' });
    const out = await bank(['--batch', batch.id]);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain(`batch ${batch.id} is proposed`);
    expect(out.stderr).toContain(`/v1/approvals/${batch.approval!.id}/approve`);
    expect(out.stdout).toBe('');
  });

  it('when --return names a reference the batch does not have, then exit 1 listing the references it has', async () => {
    const p = await releasedPayment();
    const out = await bank(['--batch', p.batch.id, '--return', 'E2E-NOT-THERE']);
    expect(out.code).toBe(1);
    expect(out.stderr).toContain('E2E-NOT-THERE');
    expect(out.stderr).toContain(p.ref);
  });

  it('when the service is not running, then exit 1 naming the URL it tried (from --url, then LC_URL)', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const viaFlag = await bank(['--batch', randomUUID(), '--url', dead]);
    expect(viaFlag.code).toBe(1);
    expect(viaFlag.stderr).toContain(`cannot reach the service at ${dead}`);
    const viaEnv = await bank(['--batch', randomUUID()], { LC_URL: dead });
    expect(viaEnv.stderr).toContain(`cannot reach the service at ${dead}`);
  });
});

describe('npm run credential', () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(os.tmpdir(), 'lc-credential-cli-'));
    await ensureDevSigningKey(dataDir);
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('when the service is not running, then exit 1 naming the URL it tried (from --url, then LC_URL)', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const viaEnv = await runTs('src/cli/credential.ts', ['--enrolment', randomUUID()], { LC_URL: dead, DATA_DIR: dataDir });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toContain(`cannot reach the service at ${dead}`);
    const viaFlag = await runTs('src/cli/credential.ts', ['--enrolment', randomUUID(), '--url', dead], { DATA_DIR: dataDir });
    expect(viaFlag.stderr).toContain(`cannot reach the service at ${dead}`);
  });

  it('when LC_URL is not a URL, then exit 1 saying so', async () => {
    const out = await runTs('src/cli/credential.ts', ['--enrolment', randomUUID()], { LC_URL: 'localhost:3000', DATA_DIR: dataDir });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/LC_URL .*(not a URL|http)/);
  });
});
