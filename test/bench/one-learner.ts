import { sql } from 'drizzle-orm';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  fmt, int, learnerIds, log, machineLines, makeSigner, openBenchDb, reportInvariants, seedCatalogue, seedLearnersWithGrants, startApi, timed, type Api,
} from './support.js';

/**
 * 1,000 concurrent self-enrolment attempts by one learner whose credit covers
 * exactly 10 (each attempt on a different run): exactly 10 must succeed.
 * Reports the time until the last response. Baseline in the same run: the
 * same 1,000 concurrent attempts spread over 1,000 different learners (no
 * contention on one learner; all succeed).
 */
const FEE = 1_000n;
const GRANT = 10n * FEE;

export async function main(args: string[]) {
  const { values } = parseArgs({ args, options: { attempts: { type: 'string', default: '1000' } } });
  const attempts = Number(values.attempts);
  const b = await openBenchDb();
  let api: Api | undefined;
  try {
    log('## one-learner benchmark\n');
    await machineLines(b.db);
    const seeded = await seedLearnersWithGrants(b, attempts + 1, GRANT);
    const cat = await seedCatalogue(b, seeded.schemeId, { providers: 4, runs: attempts, fee: FEE });
    const learners = await learnerIds(b);
    const signer = await makeSigner();
    const tokens = await signer.tokens(learners.map((l) => ({ role: 'citizen', sub: l.subject, learner_id: l.id })));
    log(`- seeded ${int(learners.length)} learners with ${GRANT} minor units each (credit for ${GRANT / FEE} enrolments at fee ${FEE}); ${int(cat.runs.length)} runs over 4 providers`);
    api = await startApi(b, signer);
    const url = api.url;
    const attempt = async (token: string, runId: string) => {
      const res = await fetch(`${url}/v1/me/enrolments`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID(), 'content-type': 'application/json' },
        body: JSON.stringify({ courseRunId: runId }),
      });
      await res.arrayBuffer();
      return res.status;
    };
    // Warm the server (JIT, pool) with a few requests by the baseline learners, on runs
    // other than the one each will try in the baseline (that would be already_enrolled).
    await Promise.all(Array.from({ length: 20 }, (_, i) => attempt(tokens[1 + i]!, cat.runs[(i * 37 + 1) % cat.runs.length]!.id)));

    const hot = learners[0]!;
    const one = await timed(() => Promise.all(cat.runs.slice(0, attempts).map((r) => attempt(tokens[0]!, r.id))));
    const base = await timed(() => Promise.all(cat.runs.slice(0, attempts).map((r, i) => attempt(tokens[1 + i]!, r.id))));
    const count = (s: number[]) => {
      const m: Record<number, number> = {};
      for (const x of s) m[x] = (m[x] ?? 0) + 1;
      return m;
    };
    const oneCodes = count(one.value);
    const baseCodes = count(base.value);
    const db = (await b.db.execute<{ enrolments: string; funded: string; available: string }>(sql`
      select (select count(*) from enrolments where learner_id = ${hot.id} and status = 'reserved')::text enrolments,
             (select coalesce(sum(funded), 0) from enrolments where learner_id = ${hot.id} and status = 'reserved')::text funded,
             (select sum(b.credits_posted - b.debits_posted - b.debits_pending) from grants g join ledger_balances b on b.id = g.id where g.learner_id = ${hot.id})::text available`)).rows[0]!;
    const succeeded = oneCodes[201] ?? 0;
    log(`- one learner, ${int(attempts)} concurrent attempts: drained in ${fmt(one.seconds, 2)} s; statuses ${JSON.stringify(oneCodes)}`);
    log(`- database: ${db.enrolments} reserved enrolments, funded ${db.funded}, credit left ${db.available}`);
    log(`- baseline, ${int(attempts)} concurrent attempts by ${int(attempts)} different learners: drained in ${fmt(base.seconds, 2)} s; statuses ${JSON.stringify(baseCodes)}`);
    log('');
    log('| attempts on one learner (credit for 10) | succeeded | time to drain | baseline: same attempts over distinct learners | ratio |');
    log('|---:|---:|---:|---:|---:|');
    log(`| ${int(attempts)} | ${succeeded} | ${fmt(one.seconds, 2)} s | ${fmt(base.seconds, 2)} s (${baseCodes[201] ?? 0} succeeded) | ${fmt(one.seconds / base.seconds, 2)}x |`);
    log('');
    const ok = succeeded === 10 && Number(db.enrolments) === 10 && BigInt(db.available) === 0n;
    log(`- exactly 10 succeed: ${ok ? 'MET' : 'NOT MET'}`);
    await api.stop();
    api = undefined;
    const v = await reportInvariants(b);
    if (!ok || v > 0) process.exitCode = 1;
  } finally {
    await api?.stop();
    await b.close();
  }
}
