import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  cpuSeconds, fmt, int, learnerIds, load, log, machineBusySeconds, machineLines, makeSigner, openBenchDb, pgbenchInit, pgbenchRun, reportInvariants,
  resetStatements, seedCatalogue, seedLearnersWithGrants, startApi, statementsSince, timed, type Api, type LoadResult,
} from './support.js';
import { prepareFloor, type Floor } from './database-floor.js';

/**
 * Reservation throughput: POST /v1/me/enrolments over HTTP by random seeded
 * learners (a unique Idempotency-Key each), at several connection counts,
 * against pgbench -M prepared (built-in tpcb-like) at the same client counts
 * on the same PostgreSQL server in the same run.
 *
 * `reserve`: runs spread over a few providers (default 4).
 * `reserve-one-provider`: the same load with every run on one provider,
 * measured in the same run beside the few-provider catalogue.
 */
const GRANT = 50_000n; // SGD 500
const FEE = 500n; // SGD 5: each learner's credit covers 100 enrolments

/** The run with the median value (the upper middle one for an even count). */
function median<T>(runs: T[], value: (x: T) => number): T {
  return [...runs].sort((a, b) => value(a) - value(b))[Math.floor(runs.length / 2)]!;
}

export async function main(args: string[]) {
  return run(args, false);
}
export async function mainOneProvider(args: string[]) {
  return run(args, true);
}

async function run(args: string[], oneProvider: boolean) {
  const { values } = parseArgs({
    args,
    options: {
      learners: { type: 'string', default: '100000' },
      providers: { type: 'string', default: '4' },
      runs: { type: 'string', default: '200' },
      connections: { type: 'string', default: '8,16,32' },
      seconds: { type: 'string', default: '60' },
      warmup: { type: 'string', default: '10' },
      repeat: { type: 'string', default: '3' },
      scale: { type: 'string', default: '32' },
      'floor-per-second': { type: 'string', default: '1500' },
    },
  });
  const n = Number(values.learners);
  const cs = values.connections.split(',').map(Number);
  const seconds = Number(values.seconds);
  const repeat = Number(values.repeat);
  const b = await openBenchDb();
  let api: Api | undefined;
  let pgb: Awaited<ReturnType<typeof pgbenchInit>> | undefined;
  try {
    log(`## ${oneProvider ? 'reserve-one-provider' : 'reserve'} benchmark\n`);
    await machineLines(b.db);
    const seeded = await seedLearnersWithGrants(b, n, GRANT);
    const few = await seedCatalogue(b, seeded.schemeId, { providers: Number(values.providers), runs: Number(values.runs), fee: FEE });
    const one = oneProvider ? await seedCatalogue(b, seeded.schemeId, { providers: 1, runs: Number(values.runs), fee: FEE }) : undefined;
    log(`- seeded ${int(n)} learners with a grant of ${GRANT} minor units each (set-based insert + grant run) in ${fmt(seeded.seconds, 1)} s; ` +
      `${values.providers} providers x ${values.runs} runs (fee ${FEE}, capacity 10,000,000, start in 30 days)` +
      (one ? `; plus 1 provider x ${values.runs} runs` : ''));
    const learners = await learnerIds(b);
    const signer = await makeSigner();
    const tk = await timed(() => signer.tokens(learners.map((l) => ({ role: 'citizen', sub: l.subject, learner_id: l.id }))));
    log(`- signed ${int(tk.value.length)} citizen tokens (EdDSA) in ${fmt(tk.seconds, 1)} s`);
    // The database floor plans its own learners' reservations; the service's load uses the others.
    const floorLearners = oneProvider ? 0 : Math.min(Math.floor(n / 2), 20_000);
    const tokens = tk.value.slice(floorLearners);

    // pgbench is the baseline for the ratio; the one-provider bench compares two catalogues instead.
    const baseline = new Map<number, { tps: number; latencyMs: number; machineCpuMsPerTx: number }>();
    if (!oneProvider) {
      pgb = await pgbenchInit(b.serverUrl, Number(values.scale));
      log(`- pgbench -i -s ${values.scale} in ${fmt(pgb.seconds, 1)} s (database ${pgb.database}, same server)`);
      for (const c of cs) {
        const runs = [];
        for (let i = 0; i < repeat; i++) runs.push(await pgbenchRun(b.serverUrl, pgb.database, c, seconds));
        const r = median(runs, (x) => x.tps);
        baseline.set(c, r);
        log(`- pgbench -M prepared -c ${c} -j 2 -T ${seconds}, ${repeat} runs: ${runs.map((x) => fmt(x.tps, 0)).join(', ')} tps; ` +
          `median ${fmt(r.tps, 0)} tps, latency average ${fmt(r.latencyMs, 2)} ms, machine CPU ${fmt(r.machineCpuMsPerTx, 2)} ms per transaction`);
      }
      await pgb.drop();
      pgb = undefined;
    }

    api = await startApi(b, signer);
    const a = api;
    const reserveLoad = (runs: { id: string }[], connections: number, duration: number) =>
      load({
        url: a.url, connections, duration, method: 'POST', path: '/v1/me/enrolments',
        next: () => {
          const i = Math.floor(Math.random() * tokens.length);
          return {
            headers: { authorization: `Bearer ${tokens[i]}`, 'idempotency-key': randomUUID(), 'content-type': 'application/json' },
            body: JSON.stringify({ courseRunId: runs[Math.floor(Math.random() * runs.length)]!.id }),
          };
        },
      });
    const w = await reserveLoad(few.runs, 16, Number(values.warmup));
    log(`- warm-up ${values.warmup} s at 16 connections: ${int(w.ok)} 2xx, ${int(w.non2xx)} non-2xx ${JSON.stringify(w.statusCodes)}`);

    // The floor: the same two SQL calls by pgbench, once per C, beside the service in the same run.
    const floorAt = new Map<number, Awaited<ReturnType<Floor['run']>>>();
    if (!oneProvider) {
      const planned = await timed(() => prepareFloor(b, learners.slice(0, floorLearners), few.runs, Number(values['floor-per-second']) * seconds * cs.length));
      log(`- database floor: planned ${int(planned.value.inputs)} reservations of ${int(floorLearners)} learners with the service's own code in ${fmt(planned.seconds, 1)} s`);
      for (const c of cs) {
        await resetStatements(b);
        const f = await planned.value.run(c, seconds);
        const st = await statementsSince(b);
        floorAt.set(c, f);
        log(`- database floor (eligibility_facts + enrolment_reserve by pgbench -M prepared) c=${c}: ${fmt(f.tps, 0)} tps, latency average ${fmt(f.latencyMs, 2)} ms, ` +
          `machine CPU ${fmt(f.machineCpuMsPerTx, 2)} ms per transaction` + (st ? `, ${fmt(st.total / Math.max(1, f.tps * seconds), 1)} statements incl. nested` : ''));
      }
    }

    const point = async (label: string, runs: { id: string }[], c: number) => {
      await resetStatements(b);
      const cpu0 = await cpuSeconds(a.pid);
      const busy0 = await machineBusySeconds();
      const gen0 = process.cpuUsage();
      const r = await reserveLoad(runs, c, seconds);
      const gen = process.cpuUsage(gen0);
      const busy = (await machineBusySeconds()) - busy0;
      const cpu1 = await cpuSeconds(a.pid);
      const st = await statementsSince(b);
      const cpu = { node: cpu1.node - cpu0.node, postgres: cpu1.postgres - cpu0.postgres };
      log(`- ${label} c=${c}: ${int(r.ok)} 2xx in ${fmt(r.seconds, 1)} s = ${fmt(r.okPerSecond, 0)}/s; non-2xx ${int(r.non2xx)} ${JSON.stringify(r.statusCodes)}, errors ${r.errors}; ` +
        `p50 ${r.p50} ms, p99 ${r.p99} ms; CPU node ${fmt(cpu.node, 1)} s, postgres ${fmt(cpu.postgres, 1)} s, load generator ${fmt((gen.user + gen.system) / 1e6, 1)} s, ` +
        `machine ${fmt((busy * 1000) / Math.max(1, r.ok + r.non2xx), 2)} ms per request` +
        (st ? `; per request ${fmt(st.topLevel / Math.max(1, r.ok + r.non2xx), 1)} round trips (top-level statements), ${fmt(st.total / Math.max(1, r.ok + r.non2xx), 1)} statements incl. nested` : ''));
      return { r, cpu, st, machineMsPerRequest: (busy * 1000) / Math.max(1, r.ok + r.non2xx) };
    };

    type Point = Awaited<ReturnType<typeof point>>;
    const fewResults = new Map<number, Point>();
    const oneResults = new Map<number, LoadResult>();
    for (const c of cs) {
      const fewRuns: Point[] = [];
      const oneRuns: Point[] = [];
      for (let i = 0; i < repeat; i++) {
        fewRuns.push(await point(`${values.providers} providers (run ${i + 1})`, few.runs, c));
        if (one) oneRuns.push(await point(`1 provider (run ${i + 1})`, one.runs, c));
      }
      fewResults.set(c, median(fewRuns, (x) => x.r.okPerSecond));
      if (one) oneResults.set(c, median(oneRuns, (x) => x.r.okPerSecond).r);
    }
    log(`\nEach figure below is the median of ${repeat} runs of ${seconds} s by reservations/s (pgbench: by tps); p50 and p99 are that run's.`);
    log('');

    if (!oneProvider) {
      log('| connections | reservations/s (2xx) | p50 ms | p99 ms | database floor tps | pgbench tpcb-like tps | service ÷ floor | floor ÷ tpcb-like | service ÷ tpcb-like |');
      log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
      for (const c of cs) {
        const { r } = fewResults.get(c)!;
        const t = baseline.get(c)!.tps;
        const f = floorAt.get(c)!.tps;
        log(`| ${c} | ${fmt(r.okPerSecond, 0)} | ${r.p50} | ${r.p99} | ${fmt(f, 0)} | ${fmt(t, 0)} | ${fmt(r.okPerSecond / f, 3)} | ${fmt(f / t, 3)} | ${fmt(r.okPerSecond / t, 3)} |`);
      }
      log('');
      log('| connections | machine CPU ms per reservation | per floor transaction | per tpcb-like transaction | service ÷ floor | floor ÷ tpcb-like | service ÷ tpcb-like | node ms | postgres ms |');
      log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
      for (const c of cs) {
        const p = fewResults.get(c)!;
        const requests = Math.max(1, p.r.ok + p.r.non2xx);
        const t = baseline.get(c)!.machineCpuMsPerTx;
        const f = floorAt.get(c)!.machineCpuMsPerTx;
        log(`| ${c} | ${fmt(p.machineMsPerRequest, 2)} | ${fmt(f, 2)} | ${fmt(t, 2)} | ${fmt(p.machineMsPerRequest / f, 2)} | ${fmt(f / t, 2)} | ${fmt(p.machineMsPerRequest / t, 2)} | ` +
          `${fmt((p.cpu.node * 1000) / requests, 2)} | ${fmt((p.cpu.postgres * 1000) / requests, 2)} |`);
      }
      const bestC = cs.reduce((m, c) => (fewResults.get(c)!.r.okPerSecond > fewResults.get(m)!.r.okPerSecond ? c : m), cs[0]!);
      const bestTps = Math.max(...cs.map((c) => baseline.get(c)!.tps));
      const best = fewResults.get(bestC)!;
      const pgbenchCpu = baseline.get(bestC)!.machineCpuMsPerTx;
      const cpuRatio = best.machineMsPerRequest / pgbenchCpu;
      log('');
      log(`- best: c=${bestC}, ${fmt(best.r.okPerSecond, 0)} reservations/s, p99 ${best.r.p99} ms; ratio to pgbench at the same C ${fmt(best.r.okPerSecond / baseline.get(bestC)!.tps, 3)}, ` +
        `to the best pgbench tps (${fmt(bestTps, 0)}) ${fmt(best.r.okPerSecond / bestTps, 3)}`);
      log(`- targets: machine CPU per reservation <= 3.5x a tpcb-like transaction: ${fmt(cpuRatio, 2)}x, ${cpuRatio <= 3.5 ? 'MET' : 'NOT MET'}; ` +
        `reservations/s >= 0.25x pgbench tps at the best C: ${fmt(best.r.okPerSecond / baseline.get(bestC)!.tps, 3)}, ${best.r.okPerSecond / baseline.get(bestC)!.tps >= 0.25 ? 'MET' : 'NOT MET'}; ` +
        `p99 < 50 ms at that C: ${best.r.p99} ms, ${best.r.p99 < 50 ? 'MET' : 'NOT MET'}`);
      if (best.st) {
        log(`- statements at c=${bestC} (pg_stat_statements, all statements in the database, by calls):`);
        for (const s of best.st.top.slice(0, 25)) log(`  - ${int(s.calls)} calls, ${fmt(s.ms, 0)} ms: ${s.query}`);
      }
    } else {
      log('| connections | few providers reservations/s | one provider reservations/s | one / few | one-provider p50 ms | one-provider p99 ms |');
      log('|---:|---:|---:|---:|---:|---:|');
      for (const c of cs) {
        const f = fewResults.get(c)!.r;
        const o = oneResults.get(c)!;
        log(`| ${c} | ${fmt(f.okPerSecond, 0)} | ${fmt(o.okPerSecond, 0)} | ${fmt(o.okPerSecond / f.okPerSecond, 3)} | ${o.p50} | ${o.p99} |`);
      }
      const bestFew = Math.max(...cs.map((c) => fewResults.get(c)!.r.okPerSecond));
      const bestOne = Math.max(...cs.map((c) => oneResults.get(c)!.okPerSecond));
      log('');
      log(`- best one-provider ${fmt(bestOne, 0)}/s vs best few-provider ${fmt(bestFew, 0)}/s: ${fmt(bestOne / bestFew, 3)} ` +
        `(target within 10%: ${Math.abs(1 - bestOne / bestFew) <= 0.1 ? 'MET' : 'NOT MET'})`);
    }
    await api.stop();
    api = undefined;
    const violations = await reportInvariants(b);
    if (violations > 0) process.exitCode = 1;
  } finally {
    await api?.stop();
    await pgb?.drop();
    await b.close();
  }
}
