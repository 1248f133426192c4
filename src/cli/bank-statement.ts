import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.js';
import { readDevPrivateKey, signToken } from '../lib/dev-keys.js';
import { formatMoney, isCurrency, parseDecimalAmount } from '../lib/money.js';
import {
  BankFileError, accountId, camt053, closingBalance, debtorAccountOf, entriesForBatch, statementCsv,
  type BankStatement, type BatchForBank,
} from './bank-statement-file.js';
import { CliError, expectJson, problemText, request, serviceUrl } from './service-client.js';

const USAGE = `usage: npm run -s bank-statement -- --batch <batch id> [--return <endToEndId>]... [--format camt053|csv] [--pending]
         [--opening <balance, e.g. 1000000.00>] [--reason <return reason code, default AC04>] [--url <service URL>] [--token <finance token>]

Plays the bank for a released disbursement batch: prints to stdout the statement the bank would send
(camt.053.001.08 by default) for the treasury account the batch's payment file is paid from. Every payment
still pending is booked as paid; --return sends one back (after its payment, or alone when an earlier
statement settled it); --pending reports the entries as PDNG, which the service records but which move nothing.
The service URL comes from --url, then LC_URL, then http://127.0.0.1:3000; the finance token from --token,
then LC_TOKEN, then the development key in DATA_DIR.`;

/** A finance token: given, or signed with the development key the service generated in DATA_DIR. */
async function financeToken(flag: string | undefined): Promise<string> {
  const given = flag ?? process.env.LC_TOKEN;
  if (given) return given;
  const config = loadConfig();
  let key;
  try {
    key = await readDevPrivateKey(config.dataDir);
  } catch {
    throw new CliError(`give a finance token with --token or LC_TOKEN (npm run -s token -- --role finance); there is no development key in ${config.dataDir}/auth to sign one`);
  }
  return signToken(key, { role: 'finance', sub: 'bank-statement-cli' }, { issuer: config.AUTH_ISSUER, audience: config.AUTH_AUDIENCE, expiresIn: '5m' });
}

async function main() {
  const { values } = parseArgs({
    options: {
      batch: { type: 'string' },
      return: { type: 'string', multiple: true, default: [] },
      format: { type: 'string', default: 'camt053' },
      pending: { type: 'boolean', default: false },
      opening: { type: 'string', default: '1000000.00' },
      reason: { type: 'string', default: 'AC04' },
      url: { type: 'string' },
      token: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(values.batch ?? '')) throw new CliError(`--batch <batch id> is required\n${USAGE}`);
  if (values.format !== 'camt053' && values.format !== 'csv') throw new CliError(`--format must be camt053 or csv, not ${JSON.stringify(values.format)}`);
  if (!/^[A-Z0-9]{4}$/.test(values.reason)) throw new CliError(`--reason must be a 4-character ISO 20022 return reason code such as AC04, not ${JSON.stringify(values.reason)}`);
  const base = serviceUrl(values.url);
  const token = await financeToken(values.token);

  const batch = expectJson<BatchForBank>(await request(base, `/v1/disbursement-batches/${values.batch}`, { token }), `GET /v1/disbursement-batches/${values.batch}`);
  if (!isCurrency(batch.currency)) throw new CliError(`batch ${batch.id} is in ${batch.currency}, a currency this tool does not know`);
  const { entries, left } = entriesForBatch(batch, { returns: values.return, pending: values.pending, returnReason: values.reason });
  // The bank knows the account it was asked to pay from: the payment file's debtor.
  const file = await request(base, `/v1/disbursement-batches/${batch.id}/payment-file?format=pain.001`, { token });
  if (file.status !== 200) throw new CliError(`GET /v1/disbursement-batches/${batch.id}/payment-file: ${file.status} ${problemText(file)}`);
  const opening = parseDecimalAmount(values.opening, batch.currency);
  if (opening === undefined) throw new CliError(`--opening must be a plain decimal amount in ${batch.currency}, e.g. 1000000.00, not ${JSON.stringify(values.opening)}`);

  const now = new Date();
  const statement: BankStatement = {
    id: `STMT-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(4).toString('hex').toUpperCase()}`,
    createdAt: now,
    currency: batch.currency,
    account: debtorAccountOf(file.text),
    opening,
    entries,
  };
  process.stdout.write(values.format === 'csv' ? statementCsv(statement) : camt053(statement));

  const count = (f: (e: (typeof entries)[number]) => boolean) => entries.filter(f).length;
  const booked = values.pending ? 'pending (PDNG)' : 'booked';
  process.stderr.write(
    `${values.format === 'csv' ? 'CSV' : 'camt.053.001.08'} statement ${statement.id} for batch ${batch.id}, account ${accountId(statement.account)} (${batch.currency}): ` +
      `${count((e) => !e.isReturn)} payment(s) and ${count((e) => e.isReturn)} return(s) ${booked}` +
      `${values.format === 'camt053' ? `, closing balance ${formatMoney(closingBalance(statement), batch.currency)}` : ''}.\n` +
      (left.length > 0 ? `left out: ${left.join('; ')}\n` : '') +
      `import it: curl -s -X POST ${base}/v1/bank-statements -H 'content-type: ${values.format === 'csv' ? 'text/csv' : 'application/xml'}' ` +
      `-H "authorization: Bearer $FINANCE" -H "idempotency-key: $(npm run -s key)" --data-binary @statement.${values.format === 'csv' ? 'csv' : 'xml'}\n`,
  );
}

main().catch((err: unknown) => {
  const known = err instanceof CliError || err instanceof BankFileError;
  process.stderr.write(`${known || err instanceof Error ? (err as Error).message : String(err)}\n`);
  process.exit(1);
});
