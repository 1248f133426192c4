import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { transferBatchJson } from '../../src/ledger/ledger.js';
import { evaluateEligibility } from '../../src/modules/eligibility/evaluate-eligibility.js';
import { loadDecisionContext } from '../../src/modules/eligibility/load-eligibility-input.js';
import { reservationPlan, selfEnrolment } from '../../src/modules/enrolments/enrolments.service.js';
import { pgbenchRun, type BenchDb } from './support.js';

/**
 * The database floor of a reservation: the two SQL calls the service makes
 * for POST /v1/me/enrolments (eligibility_facts with the learner's lock,
 * then enrolment_reserve), driven by pgbench -M prepared with no HTTP, no
 * Node and no idempotency record. Their arguments are planned beforehand by
 * the service's own code (reservationPlan), one row per transaction, and
 * each transaction takes the next row from a sequence that ends with them,
 * so a run that outlasted its inputs fails loudly instead of timing no-ops.
 */
const SCRIPT = `SELECT nextval('bench_floor_seq') AS n \\gset
BEGIN;
SELECT eligibility_facts(learner_id, run_id, at, NULL, true) FROM bench_floor_inputs WHERE n = :n;
SELECT enrolment_reserve(mode, enrolment, legs, transfers, audit, event, at) FROM bench_floor_inputs WHERE n = :n;
END;
`;

export interface Floor {
  inputs: number;
  run(clients: number, seconds: number): ReturnType<typeof pgbenchRun>;
}

/** Plans `count` self-enrolments of the given learners on random runs, `concurrency` at a time, into the inputs table. */
export async function prepareFloor(b: BenchDb, learners: { id: string; subject: string }[], runs: { id: string }[], count: number): Promise<Floor> {
  if (count > learners.length * runs.length) throw new Error(`${count} planned reservations need more than ${learners.length} learners x ${runs.length} runs`);
  await b.db.execute(sql`drop table if exists bench_floor_inputs`);
  await b.db.execute(sql`drop sequence if exists bench_floor_seq`);
  await b.db.execute(sql`create table bench_floor_inputs (n bigint primary key, learner_id uuid, run_id uuid, at timestamptz, mode text,
    enrolment jsonb, legs jsonb, transfers jsonb, audit jsonb, event jsonb)`);
  let next = 0;
  let made = 0;
  const worker = async () => {
    const rows = [];
    for (let i = next++; i < count; i = next++) {
      // A learner may hold one live enrolment per run: the k-th plan of a learner takes the k-th run after a start of its own.
      const learnerNo = i % learners.length;
      const learner = learners[learnerNo]!;
      const runId = runs[(learnerNo * 7919 + Math.floor(i / learners.length)) % runs.length]!.id;
      const now = new Date();
      const context = await loadDecisionContext(b.db, { learnerId: learner.id, runId, at: now });
      const result = evaluateEligibility(context.input);
      if (!result.eligible || !context.payableAccountId) continue;
      const enrolment = selfEnrolment(learner.id, runId, context.input.run.providerId, result, now);
      const acting = { actor: { role: 'citizen' as const, subject: learner.subject }, requestId: `floor-${i}` };
      const plan = reservationPlan('insert', enrolment, { context, result }, { ...acting, action: 'enrolment.self_enrolled', details: { courseRunId: runId } }, now, context.payableAccountId);
      rows.push({ learner_id: learner.id, run_id: runId, at: plan.call.now, mode: plan.call.mode, enrolment: JSON.parse(plan.call.enrolment), legs: JSON.parse(plan.call.legs),
        transfers: JSON.parse(transferBatchJson(plan.transfers)), audit: JSON.parse(plan.call.audit), event: JSON.parse(plan.call.event) });
      if (rows.length === 500) await flush(rows.splice(0));
    }
    await flush(rows);
  };
  const flush = async (rows: object[]) => {
    if (rows.length === 0) return;
    const numbered = rows.map((r) => ({ n: ++made, ...r }));
    await b.db.execute(sql`insert into bench_floor_inputs
      select * from jsonb_to_recordset(${JSON.stringify(numbered)}::jsonb)
        as r(n bigint, learner_id uuid, run_id uuid, at timestamptz, mode text, enrolment jsonb, legs jsonb, transfers jsonb, audit jsonb, event jsonb)`);
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  await b.db.execute(sql.raw(`create sequence bench_floor_seq maxvalue ${made}`));
  await b.db.execute(sql`analyze bench_floor_inputs`);
  const script = path.join(os.tmpdir(), `lc-floor-${process.pid}.sql`);
  await writeFile(script, SCRIPT);
  return {
    inputs: made,
    async run(clients, seconds) {
      const r = await pgbenchRun(b.serverUrl, b.name, clients, seconds, { script });
      const [used] = (await b.db.execute<{ used: string }>(sql`select last_value::text used from bench_floor_seq`)).rows;
      if (r.failed > 0 || Number(used!.used) >= made) throw new Error(`the database floor ran out of planned inputs (${made}): plan more`);
      // Every planned reservation the run took must have been made: a refusal would have timed a cheaper transaction.
      const [missing] = (await b.db.execute<{ n: number }>(sql`
        select count(*)::int n from bench_floor_inputs i where i.n <= ${Number(used!.used)} and not exists (select 1 from enrolments e where e.id = (i.enrolment->>'id')::uuid)`)).rows;
      if (missing!.n > 0) throw new Error(`${missing!.n} planned reservations of the database floor were refused`);
      return r;
    },
  };
}
