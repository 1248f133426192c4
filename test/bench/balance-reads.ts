import { sql } from 'drizzle-orm';
import { parseArgs } from 'node:util';
import {
  cpuSeconds, fmt, int, learnerIds, load, log, machineLines, makeSigner, openBenchDb, reportInvariants, resetStatements, seedLearnersWithGrants,
  startApi, statementsSince, timed, type Api,
} from './support.js';

/**
 * GET /v1/me/account at 32 connections with 1,000,000 learners in the
 * database, each with a grant (set-based insert + a grant run), random
 * learners (tokens signed for a random sample). Baseline in the same run:
 * GET /healthz on the same server at the same connections.
 */
export async function main(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      learners: { type: 'string', default: '1000000' }, tokens: { type: 'string', default: '100000' },
      connections: { type: 'string', default: '32' }, seconds: { type: 'string', default: '60' },
    },
  });
  const n = Number(values.learners);
  const c = Number(values.connections);
  const seconds = Number(values.seconds);
  const b = await openBenchDb();
  let api: Api | undefined;
  try {
    log('## balance-reads benchmark\n');
    await machineLines(b.db);
    const seeded = await seedLearnersWithGrants(b, n, 50_000n);
    const grants = (await b.db.execute<{ n: string }>(sql`select count(*)::text n from grants`)).rows[0]!.n;
    log(`- seeded ${int(n)} learners, ${int(Number(grants))} grants (set-based insert + grant run) in ${fmt(seeded.seconds, 1)} s`);
    const sample = await learnerIds(b, Number(values.tokens));
    const signer = await makeSigner();
    const tk = await timed(() => signer.tokens(sample.map((l) => ({ role: 'citizen', sub: l.subject, learner_id: l.id }))));
    log(`- signed ${int(tk.value.length)} citizen tokens for a random sample of the learners in ${fmt(tk.seconds, 1)} s`);
    const tokens = tk.value;
    api = await startApi(b, signer);
    const a = api;
    const account = (duration: number) =>
      load({
        url: a.url, connections: c, duration, method: 'GET', path: '/v1/me/account',
        next: () => ({ headers: { authorization: `Bearer ${tokens[Math.floor(Math.random() * tokens.length)]}` } }),
      });
    const health = (duration: number) => load({ url: a.url, connections: c, duration, method: 'GET', path: '/healthz', next: () => ({ headers: {} }) });
    await account(5);
    await health(3);
    await resetStatements(b);
    const cpu0 = await cpuSeconds(a.pid);
    const r = await account(seconds);
    const cpu1 = await cpuSeconds(a.pid);
    const st = await statementsSince(b);
    const h = await health(seconds);
    log(`- GET /v1/me/account c=${c} ${seconds} s: ${int(r.ok)} 2xx = ${fmt(r.okPerSecond, 0)}/s, non-2xx ${r.non2xx} ${JSON.stringify(r.statusCodes)}, p50 ${r.p50} ms, p99 ${r.p99} ms; ` +
      `CPU node ${fmt(cpu1.node - cpu0.node, 1)} s, postgres ${fmt(cpu1.postgres - cpu0.postgres, 1)} s` +
      (st ? `; ${fmt(st.topLevel / Math.max(1, r.ok), 1)} round trips per request` : ''));
    log(`- GET /healthz c=${c} ${seconds} s: ${fmt(h.okPerSecond, 0)}/s, p50 ${h.p50} ms, p99 ${h.p99} ms`);
    if (st) for (const s of st.top.filter((x) => x.calls > 100).slice(0, 8)) log(`  - ${int(s.calls)} calls, ${fmt(s.ms, 0)} ms: ${s.query}`);
    log('');
    log('| learners | connections | account reads/s | p50 ms | p99 ms | /healthz req/s (same server) | ratio |');
    log('|---:|---:|---:|---:|---:|---:|---:|');
    log(`| ${int(n)} | ${c} | ${fmt(r.okPerSecond, 0)} | ${r.p50} | ${r.p99} | ${fmt(h.okPerSecond, 0)} | ${fmt(r.okPerSecond / h.okPerSecond, 3)} |`);
    log('');
    log(`- target p99 < 20 ms: ${r.p99 < 20 ? 'MET' : 'NOT MET'} (${r.p99} ms)`);
    await api.stop();
    api = undefined;
    const v = await reportInvariants(b);
    if (v > 0 || r.non2xx > 0) process.exitCode = 1;
  } finally {
    await api?.stop();
    await b.close();
  }
}
