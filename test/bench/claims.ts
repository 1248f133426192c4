import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import {
  cpuSeconds, fmt, int, learnerIds, load, log, machineLines, makeSigner, openBenchDb, providerCredentialKey, reportInvariants, resetStatements,
  seedCatalogue, seedLearnersWithGrants, startApi, statementsSince, timed, type Api,
} from './support.js';

/**
 * Approved claims per second over HTTP (POST /v1/claims) with real credential
 * verification: each provider's EdDSA key is registered in provider_keys and
 * every credential is an OpenBadgeCredential VC-JWT signed with jose.
 * Setup: N learners each self-enrol once over HTTP (the reservation rate of
 * that phase, at the same connections, is the baseline), then the runs are
 * moved into the past so completions are due; then N claims, one per
 * enrolment, each for the full reserved amount.
 */
const FEE = 1_000n;

export async function main(args: string[]) {
  const { values } = parseArgs({ args, options: { claims: { type: 'string', default: '5000' }, connections: { type: 'string', default: '16' } } });
  const n = Number(values.claims);
  const c = Number(values.connections);
  const b = await openBenchDb();
  let api: Api | undefined;
  try {
    log('## claims benchmark\n');
    await machineLines(b.db);
    const seeded = await seedLearnersWithGrants(b, n, 50_000n);
    const cat = await seedCatalogue(b, seeded.schemeId, { providers: 4, runs: 40, fee: FEE });
    const keys = new Map<string, Awaited<ReturnType<typeof providerCredentialKey>>>();
    for (const p of cat.providers) keys.set(p, await providerCredentialKey(b, p));
    const learners = await learnerIds(b);
    const signer = await makeSigner();
    const citizenTokens = await signer.tokens(learners.map((l) => ({ role: 'citizen', sub: l.subject, learner_id: l.id })));
    const providerTokens = new Map<string, string>();
    for (const p of cat.providers) providerTokens.set(p, await signer.token({ role: 'provider', sub: `bench-${p}`, provider_id: p }));
    log(`- seeded ${int(n)} learners with a grant each, 4 providers (an EdDSA key registered for each) x 40 runs, fee ${FEE}`);
    api = await startApi(b, signer, { CLAIM_BURST_PER_HOUR: '1000000' });
    const a = api;

    // Baseline / setup: every learner self-enrols once, over HTTP, same connections.
    let next = 0;
    const reserve = await load({
      url: a.url, connections: c, amount: n, method: 'POST', path: '/v1/me/enrolments',
      next: () => {
        const i = next++ % n;
        return {
          headers: { authorization: `Bearer ${citizenTokens[i]}`, 'idempotency-key': randomUUID(), 'content-type': 'application/json' },
          body: JSON.stringify({ courseRunId: cat.runs[i % cat.runs.length]!.id }),
        };
      },
    });
    log(`- setup/baseline: ${int(reserve.ok)} self-enrolments over HTTP at c=${c} in ${fmt(reserve.seconds, 1)} s = ${fmt(reserve.okPerSecond, 0)}/s, ` +
      `non-2xx ${reserve.non2xx} ${JSON.stringify(reserve.statusCodes)}, p50 ${reserve.p50} ms, p99 ${reserve.p99} ms`);

    // The runs took place: started 60 days ago, ended yesterday.
    await b.db.execute(sql`update course_runs set starts_at = now() - interval '60 days', ends_at = now() - interval '1 day'`);
    const rows = (await b.db.execute<{ id: string; provider_id: string; course_id: string; subject_id: string; funded: string }>(sql`
      select e.id, e.provider_id, r.course_id, l.subject_id, e.funded::text from enrolments e
        join course_runs r on r.id = e.course_run_id join learners l on l.id = e.learner_id where e.status = 'reserved'`)).rows;
    const issuedAt = new Date(Date.now() - 3_600_000);
    const signed = await timed(async () => {
      const out: { enrolmentId: string; providerId: string; amount: string; credential: string }[] = [];
      for (const r of rows) {
        out.push({ enrolmentId: r.id, providerId: r.provider_id, amount: r.funded, credential: await keys.get(r.provider_id)!.sign({ learnerSubject: r.subject_id, courseId: r.course_id }, issuedAt) });
      }
      return out;
    });
    log(`- signed ${int(signed.value.length)} completion credentials (VC-JWT, EdDSA) in ${fmt(signed.seconds, 1)} s`);

    const claims = signed.value;
    let k = 0;
    await resetStatements(b);
    const cpu0 = await cpuSeconds(a.pid);
    const r = await load({
      url: a.url, connections: c, amount: claims.length, method: 'POST', path: '/v1/claims',
      next: () => {
        const cl = claims[k++ % claims.length]!;
        return {
          headers: { authorization: `Bearer ${providerTokens.get(cl.providerId)}`, 'idempotency-key': randomUUID(), 'content-type': 'application/json' },
          body: JSON.stringify({ enrolmentId: cl.enrolmentId, amount: cl.amount, credential: cl.credential }),
        };
      },
    });
    const cpu1 = await cpuSeconds(a.pid);
    const st = await statementsSince(b);
    const byStatus = (await b.db.execute<{ status: string; n: string }>(sql`select status, count(*)::text n from claims group by status order by status`)).rows;
    const approved = Number(byStatus.find((s) => s.status === 'approved')?.n ?? 0);
    const approvedPerSecond = approved / r.seconds;
    log(`- claims at c=${c}: ${int(r.ok)} 2xx of ${int(claims.length)} in ${fmt(r.seconds, 1)} s, non-2xx ${r.non2xx} ${JSON.stringify(r.statusCodes)}, p50 ${r.p50} ms, p99 ${r.p99} ms; ` +
      `CPU node ${fmt(cpu1.node - cpu0.node, 1)} s, postgres ${fmt(cpu1.postgres - cpu0.postgres, 1)} s` +
      (st ? `; ${fmt(st.topLevel / Math.max(1, r.ok), 1)} round trips per request` : ''));
    log(`- claims in the database by status: ${byStatus.map((s) => `${s.status} ${s.n}`).join(', ')}`);
    if (st) {
      log('- statements (pg_stat_statements, by total time):');
      for (const s of [...st.top].sort((x, y) => y.ms - x.ms).slice(0, 15)) log(`  - ${int(s.calls)} calls, ${fmt(s.ms, 0)} ms: ${s.query}`);
    }
    log('');
    log('| claims | connections | approved claims/s | p50 ms | p99 ms | baseline: self-enrolments/s, same server and C | ratio |');
    log('|---:|---:|---:|---:|---:|---:|---:|');
    log(`| ${int(claims.length)} | ${c} | ${fmt(approvedPerSecond, 0)} | ${r.p50} | ${r.p99} | ${fmt(reserve.okPerSecond, 0)} | ${fmt(approvedPerSecond / reserve.okPerSecond, 3)} |`);
    log('');
    await api.stop();
    api = undefined;
    const v = await reportInvariants(b);
    if (v > 0 || approved !== claims.length) process.exitCode = 1;
  } finally {
    await api?.stop();
    await b.close();
  }
}
