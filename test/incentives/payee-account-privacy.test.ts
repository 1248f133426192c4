import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { paymentFileOf } from '../../src/modules/disbursements/batch-file.js';
import { pain001 } from '../../src/modules/disbursements/payment-file.js';
import { payeeAccountBody } from '../../src/modules/learners/payee-account/payee-account.schemas.js';
import { payeeAccountOf } from '../../src/modules/learners/payee-account/payee-account.service.js';
import { createKeyedApp } from '../http/keyed-app.js';
import { useHarness } from '../support/harness.js';
import { schemaErrors, schemasAvailable } from '../support/iso20022.js';

const h = useHarness();

describe('learner payee accounts: personal data', () => {
  it('when accounts are registered, refused and changed, then no account number, whole or masked, reaches the logs, the audit trail or the approval queue', async () => {
    const raw: string[] = [];
    const keyed = await createKeyedApp(h, { logger: createLogger('trace', { write: (s: string) => void raw.push(s) }) });
    const admin = await keyed.sign({ role: 'admin', sub: 'admin-privacy' });
    const registered = await request(keyed.app).post('/v1/learners').set('Authorization', `Bearer ${admin}`).set('Idempotency-Key', randomUUID()).send({
      country: 'SG', nationalId: 'S1234567D', fullName: 'Lee Hui Min', dateOfBirth: '1988-02-02', citizenship: 'SG', employmentStatus: 'employed', incomeGroup: 'low',
    });
    expect(registered.status, registered.text).toBe(201);
    const learnerId = registered.body.id as string;
    const citizen = await keyed.sign({ role: 'citizen', sub: 'citizen-privacy', learner_id: learnerId });
    const put = (body: unknown) =>
      request(keyed.app).put('/v1/learners/me/payee-account').set('Authorization', `Bearer ${citizen}`).set('Idempotency-Key', randomUUID()).send(body as object);
    const numbers = ['987654321098', '111122223333', '444455556666'];
    expect((await put({ kind: 'bank', accountName: 'Someone Else', bank: { bankCode: '7171', accountNumber: numbers[0] } })).status).toBe(422);
    expect((await put({ kind: 'bank', accountName: 'Lee Hui Min', bank: { bankCode: '7171', accountNumber: numbers[1] } })).status).toBe(200);
    expect((await put({ kind: 'bank', accountName: 'LEE HUI-MIN', bank: { bankCode: '7171', accountNumber: numbers[2] } })).status).toBe(200);
    expect((await put({ kind: 'bank', accountName: 'Lee Hui Min', bank: { bankCode: 'x', accountNumber: numbers[0] } })).status).toBe(422);

    const text = raw.join('');
    expect(text.length).toBeGreaterThan(0);
    const audit = (await h.database.pool.query(`select details::text d from audit_events`)).rows.map((r) => r.d as string).join('\n');
    const approvals = (await h.database.pool.query(`select summary || payload::text s from approvals`)).rows.map((r) => r.s as string).join('\n');
    for (const n of numbers) {
      for (const where of [text, audit, approvals]) {
        expect(where).not.toContain(n);
        // Not even masked: ids in the same text make a bare 4-digit search meaningless, so look for the masked form.
        expect(where).not.toContain(`ending ${n.slice(-4)}`);
      }
    }
  });
});

describe('learner lines in payment files', () => {
  const header = (currency: string) => ({ messageId: 'LCBTEST0001', createdAt: new Date('2027-03-01T09:00:00Z'), requestedExecutionDate: '2027-03-02', currency });

  it.skipIf(!schemasAvailable)('when an Indonesian learner is paid to an e-wallet, then the pain.001 is valid against the XSD and names the wallet\'s clearing code and account id', async () => {
    const account = payeeAccountOf({ fullName: 'Siti Rahmawati', country: 'ID' }, payeeAccountBody.parse({
      kind: 'ewallet', accountName: 'Siti Rahmawati', ewallet: { provider: 'gopay', accountId: '0812-3456-7890' },
    }));
    const file = paymentFileOf(h.deps, header('IDR'), [{
      endToEndId: 'LI0001', amount: 60_000_000n, claimsTotal: 60_000_000n, deducted: 0n, creditorName: 'Siti Rahmawati', creditorAccount: account.payment, payeeKind: 'learner',
    }]);
    const xml = pain001(file);
    expect(await schemaErrors('pain001', xml)).toEqual([]);
    expect(xml).toContain('<MmbId>898</MmbId>');
    expect(xml).toContain('<Id>081234567890</Id>');
    expect(xml).toContain('<InstdAmt Ccy="IDR">600000.00</InstdAmt>');
  });

  it.skipIf(!schemasAvailable)('when a French learner is paid by IBAN in EUR, then the file also meets the EPC SEPA credit-transfer profile', async () => {
    const account = payeeAccountOf({ fullName: 'Élodie Dupré', country: 'FR' }, payeeAccountBody.parse({
      kind: 'bank', accountName: 'Elodie Dupre', bank: { iban: 'FR76 3000 6000 0112 3456 7890 189', bic: 'AGRIFRPP' },
    }));
    const file = paymentFileOf(h.deps, header('EUR'), [{
      endToEndId: 'LI0002', amount: 10_000n, claimsTotal: 10_000n, deducted: 0n, creditorName: 'Elodie Dupre', creditorAccount: account.payment, payeeKind: 'learner',
    }]);
    const xml = pain001(file);
    expect(await schemaErrors('pain001', xml)).toEqual([]);
    expect(await schemaErrors('epcSctPain001', xml)).toEqual([]);
  });
});
