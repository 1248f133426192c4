import { z } from 'zod';
import { exceptionKinds } from '../../db/schema/index.js';
import { actingOf } from '../acting.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import { decodeCursor, encodeCursor, pageQuery } from '../../lib/cursor.js';
import type { ServiceDeps } from '../deps.js';
import {
  importStatement, listReconciliationExceptions, resolveException, statementWithLines, type ExceptionRow, type StatementLineRow, type StatementRow,
} from './reconciliation.service.js';
import { CAMT053_NAMESPACE } from './statement-camt053.js';
import { STATEMENT_CSV_COLUMNS } from './statement-csv.js';
import { ENTRY_STATUSES } from './statement-format.js';

const lineOutcomes = ['settled', 'returned', 'exception', 'pending', 'info', 'unbalanced', 'refunded'] as const;

const exceptionSchema = z
  .object({
    id: z.uuid(), kind: z.enum(exceptionKinds), statementId: z.uuid().nullable(), statementLineId: z.uuid().nullable(), paymentLineId: z.uuid().nullable(), detail: z.string(),
    expected: z.string().nullable(), actual: z.string().nullable(), currency: z.string(), status: z.enum(['open', 'resolved']),
    raisedAt: z.string(), resolvedBy: z.string().nullable(), resolution: z.string().nullable(), resolvedAt: z.string().nullable(),
  })
  .meta({ id: 'ReconciliationException' });

const view = (e: ExceptionRow) => ({
  ...e, raisedAt: e.raisedAt.toISOString(), resolvedAt: e.resolvedAt?.toISOString() ?? null,
  expected: e.expected?.toString() ?? null, actual: e.actual?.toString() ?? null,
});

const statementSchema = z
  .object({
    id: z.uuid(), format: z.enum(['csv', 'camt.053']), statementRef: z.string().nullable(),
    outcome: z.enum(['reconciled', 'balance_mismatch']).describe('balance_mismatch: the opening balance plus the booked entries is not the closing balance; nothing was reconciled'),
    account: z.string().nullable().describe('The account the bank says the statement is for'),
    currency: z.string().nullable(), openingBalance: z.string().nullable().describe('Signed minor units: a credit balance is positive (camt.053 only)'),
    closingBalance: z.string().nullable(),
    lineCount: z.number().int(), settled: z.number().int(), returned: z.number().int(), refunded: z.number().int(), pending: z.number().int(), info: z.number().int(), exceptions: z.number().int(),
    importedAt: z.string(), importedBy: z.string(),
  })
  .meta({ id: 'BankStatement' });

const statementLineSchema = z
  .object({
    lineNo: z.number().int(), endToEndId: z.string().nullable(), amount: z.string(), currency: z.string(), direction: z.enum(['debit', 'credit']),
    isReturn: z.boolean(), entryStatus: z.enum(ENTRY_STATUSES), bookingDate: z.string().nullable(),
    outcome: z.enum(lineOutcomes), paymentLineId: z.uuid().nullable(),
  })
  .meta({ id: 'BankStatementLine' });

const statementView = (s: StatementRow) => ({
  id: s.id, format: s.format, statementRef: s.statementRef, outcome: s.outcome, account: s.account, currency: s.currency,
  openingBalance: s.openingBalance?.toString() ?? null, closingBalance: s.closingBalance?.toString() ?? null,
  lineCount: s.lineCount, settled: s.matched, returned: s.returned, refunded: s.refunded, pending: s.pending, info: s.info, exceptions: s.exceptions,
  importedAt: s.importedAt.toISOString(), importedBy: s.importedBy,
});

const lineView = (l: StatementLineRow) => ({
  lineNo: l.lineNo, endToEndId: l.endToEndId, amount: l.amount.toString(), currency: l.currency, direction: l.direction, isReturn: l.isReturn === 1,
  entryStatus: l.entryStatus, bookingDate: l.bookingDate, outcome: l.outcome, paymentLineId: l.paymentLineId,
});

const lineCursor = z.object({ lineNo: z.string().regex(/^\d{1,9}$/) });

const statementImportSchema = z.object({
  statementId: z.uuid(), replayed: z.boolean(), outcome: z.enum(['reconciled', 'balance_mismatch']),
  lines: z.number().int(), settled: z.number().int(), returned: z.number().int(),
  refunded: z.number().int().describe("credits quoting a recovery's reference: what a provider paid back"),
  pending: z.number().int().describe('PDNG lines: recorded, no money moved'), info: z.number().int().describe('INFO lines: recorded, no money moved'),
  exceptions: z.number().int(),
}).meta({ id: 'StatementImport' });

const importDescription = [
  'The bank\'s word is what counts. Only a booked entry settles (a payment) or returns (a returned or reversed payment) a payment line;',
  'a pending (PDNG) or information-only (INFO) entry is recorded and shown but moves no money, and a later booked entry for the same reference still settles it.',
  'The statement must be for the treasury\'s disbursement account of its currency; otherwise it is refused with 422 naming the account expected and the one found, and nothing is stored.',
  `camt.053: only camt.053.001.08 (namespace ${CAMT053_NAMESPACE}); one Stmt with Acct/Id (IBAN or Othr/Id), an opening (OPBD, or PRCD) and a closing (CLBD) booked balance,`,
  'and entries with Sts/Cd BOOK, PDNG or INFO (anything else is refused) and optional RvslInd (true: a return).',
  'When the opening balance plus the booked entries (credits minus debits) is not the closing balance, the statement is recorded as a balance_mismatch exception and reconciles nothing.',
  `CSV columns: ${STATEMENT_CSV_COLUMNS.join(',')}, with direction DBIT|CRDT, type payment|return and status BOOK|PDNG|INFO (booking_date may be empty only when not BOOK);`,
  'optional comment lines before the header: "# statement: <ref>" and "# account: <IBAN or account number>" (when given, it must be the disbursement account of every currency in the file). A CSV carries no balances.',
  'Importing the same file twice changes nothing.',
].join(' ');

export function reconciliationRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'post', path: '/v1/bank-statements', operationId: 'importBankStatement',
      summary: 'Import a bank statement (CSV or ISO 20022 camt.053.001.08) and reconcile it',
      description: importDescription,
      tags: ['finance'], roles: ['finance'], bodyContentType: 'text/csv,application/xml', bodyLimit: '64mb', idempotent: true,
      body: z.string().min(1, 'the statement is empty'),
      bodyExamples: {
        'text/csv': '# statement: STMT-20270302\r\nbooking_date,end_to_end_id,amount,currency,direction,type,status\r\n2027-03-02,LC-20270301-0001-001,300.00,SGD,DBIT,payment,BOOK\r\n',
        'application/xml': '<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>STMT-20270302</MsgId><CreDtTm>2027-03-02T18:00:00Z</CreDtTm></GrpHdr><Stmt><Id>STMT-20270302</Id><CreDtTm>2027-03-02T18:00:00Z</CreDtTm><Acct><Id><Othr><Id>0720123456</Id></Othr></Id><Ccy>SGD</Ccy></Acct><Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="SGD">1000000.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2027-03-02</Dt></Dt></Bal><Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="SGD">999700.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2027-03-02</Dt></Dt></Bal><Ntry><Amt Ccy="SGD">300.00</Amt><CdtDbtInd>DBIT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2027-03-02</Dt></BookgDt><BkTxCd/><NtryDtls><TxDtls><Refs><EndToEndId>LC-20270301-0001-001</EndToEndId></Refs></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>',
      },
      responses: {
        200: { description: 'This statement was imported before: the first import\'s figures, with replayed true; nothing changed', schema: statementImportSchema },
        201: {
          description: 'Imported and reconciled',
          schema: statementImportSchema,
        },
      },
      handler: async ({ body }, ctx) => {
        const format = ctx.req.is('application/xml') ? 'camt.053' : 'csv';
        const summary = await importStatement(deps, ctx.db, { format, content: body }, actingOf(ctx));
        return { status: summary.replayed ? 200 : 201, body: summary };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/bank-statements/{statementId}', operationId: 'getBankStatement',
      summary: 'A bank statement as recorded, with its lines in file order (pending and information-only lines included)',
      description: 'One imported statement: its outcome and its lines with how each was matched, optionally only lines of one outcome. Paged with `cursor` and `limit`.',
      tags: ['finance'], roles: ['finance', 'admin'],
      params: z.strictObject({ statementId: z.uuid() }),
      query: z.strictObject({ outcome: z.enum(lineOutcomes).optional(), ...pageQuery }),
      responses: {
        200: {
          description: 'The statement and a page of its lines',
          schema: z.object({ statement: statementSchema, items: z.array(statementLineSchema), nextCursor: z.string().nullable() }),
        },
      },
      handler: async ({ params, query }, ctx) => {
        const after = decodeCursor(query.cursor, lineCursor);
        const page = await statementWithLines(ctx.db, params.statementId, { outcome: query.outcome, afterLineNo: after ? Number(after.lineNo) : undefined, limit: query.limit });
        const last = page.lines.at(-1);
        return {
          status: 200,
          body: { statement: statementView(page.statement), items: page.lines.map(lineView), nextCursor: page.more && last ? encodeCursor({ lineNo: String(last.lineNo) }) : null },
        };
      },
    }),
    defineRoute({
      method: 'get', path: '/v1/reconciliation-exceptions', operationId: 'listReconciliationExceptions', summary: 'Exceptions, newest first',
      description: 'What reconciliation could not match: amounts that differ, unknown references, duplicates, returned payments, payments not seen, balance mismatches. Filter by status and kind.',
      tags: ['finance'], roles: ['finance', 'admin'],
      query: z.strictObject({ status: z.enum(['open', 'resolved']).optional(), kind: z.enum(exceptionKinds).optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }),
      responses: { 200: { description: 'Exceptions', schema: z.object({ items: z.array(exceptionSchema) }) } },
      handler: async ({ query }, ctx) => {
        const rows = await listReconciliationExceptions(ctx.db, query);
        return { status: 200, body: { items: rows.map(view) } };
      },
    }),
    defineRoute({
      method: 'post', path: '/v1/reconciliation-exceptions/{exceptionId}/resolve', operationId: 'resolveReconciliationException',
      summary: 'Resolve an exception with a recorded reason', tags: ['finance'], roles: ['finance'],
      description: 'A finance officer records how an exception was resolved, with a note; the exception is closed. Refused with 409 `invalid_state` when it is already resolved.',
      params: z.strictObject({ exceptionId: z.uuid() }), body: z.strictObject({ resolution: z.string().trim().min(3).max(1000) }).meta({ id: 'ResolveException' }),
      idempotent: true,
      responses: { 200: { description: 'Resolved', schema: exceptionSchema } },
      handler: async ({ params, body }, ctx) => ({
        status: 200, body: view(await resolveException(deps, ctx.db, params.exceptionId, body.resolution, actingOf(ctx))),
      }),
    }),
  ];
}
