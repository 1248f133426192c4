import { and, asc, eq, gt, gte, inArray, lte } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { auditEvents, courseRuns, courses, enrolments, grants, learners, providers, schemes } from '../db/schema/index.js';
import type { Logger } from '../lib/logger.js';
import { formatMoney, isCurrency } from '../lib/money.js';

/** The actor the seed writes as; its audit events say which rows are the demo's. */
export const DEMO_ACTOR = 'demo-seed';
/** The scheme the seed creates first: its creation time anchors the seed's audit events. */
export const DEMO_ANCHOR_SCHEME = 'SG-SFC';

export interface DemoGuide {
  /** No names: log lines carry no personal data, even the demo's. */
  learners: { id: string; masked: string | null; country: string; schemes: string[] }[];
  providers: { id: string; legalName: string; country: string }[];
  express?: { enrolmentId: string; status: string; runId: string; courseTitle: string; startsAt: Date; endsAt: Date };
  /** The next run of each demo course (not the express run), for eligibility checks and enrolments. */
  runs: { runId: string; courseTitle: string; startsAt: Date; fee: bigint; currency: string }[];
  closedSchemes: { code: string; name: string }[];
}

/**
 * The demo's ids as the database holds them now, so every start (not only the
 * first) can print what the README uses. Read from the seed's own audit events,
 * found by time from the anchor scheme (the audit_events_occurred_idx index),
 * so a big database is not scanned. Undefined when there is no demo data.
 */
export async function readDemoGuide(db: Db, now: Date): Promise<DemoGuide | undefined> {
  const [anchor] = await db.select({ createdAt: schemes.createdAt }).from(schemes).where(eq(schemes.code, DEMO_ANCHOR_SCHEME)).limit(1);
  if (!anchor) return undefined;
  // The seed is one transaction of well under a minute.
  const until = new Date(anchor.createdAt.getTime() + 10 * 60_000);
  const events = await db
    .select({ action: auditEvents.action, entityId: auditEvents.entityId })
    .from(auditEvents)
    .where(and(
      gte(auditEvents.occurredAt, anchor.createdAt), lte(auditEvents.occurredAt, until), eq(auditEvents.actorId, DEMO_ACTOR),
      inArray(auditEvents.action, ['learner.registered', 'provider.created', 'enrolment.self_enrolled']),
    ));
  const ids = (action: string) => events.filter((e) => e.action === action).map((e) => e.entityId);
  const learnerIds = ids('learner.registered');
  const providerIds = ids('provider.created');
  const [enrolmentId] = ids('enrolment.self_enrolled');

  // Ids are UUIDv7: by id is the order the seed created them in.
  const learnerRows = learnerIds.length === 0 ? [] : await db
    .select({ id: learners.id, masked: learners.nationalIdMasked, country: learners.country })
    .from(learners).where(inArray(learners.id, learnerIds)).orderBy(asc(learners.id));
  const held = learnerIds.length === 0 ? [] : await db
    .select({ learnerId: grants.learnerId, code: schemes.code })
    .from(grants).innerJoin(schemes, eq(schemes.id, grants.schemeId))
    .where(and(inArray(grants.learnerId, learnerIds), eq(grants.status, 'active')))
    .orderBy(asc(grants.id));
  const schemesOf = (id: string) => held.filter((g) => g.learnerId === id).map((g) => g.code);
  const providerRows = providerIds.length === 0 ? [] : await db
    .select({ id: providers.id, legalName: providers.legalName, country: providers.country })
    .from(providers).where(inArray(providers.id, providerIds)).orderBy(asc(providers.id));
  const [express] = enrolmentId === undefined ? [] : await db
    .select({
      enrolmentId: enrolments.id, status: enrolments.status, runId: courseRuns.id, courseTitle: courses.title,
      startsAt: courseRuns.startsAt, endsAt: courseRuns.endsAt,
    })
    .from(enrolments)
    .innerJoin(courseRuns, eq(courseRuns.id, enrolments.courseRunId))
    .innerJoin(courses, eq(courses.id, courseRuns.courseId))
    .where(eq(enrolments.id, enrolmentId));
  const allRuns = providerIds.length === 0 ? [] : await db
    .select({ runId: courseRuns.id, courseId: courses.id, courseTitle: courses.title, startsAt: courseRuns.startsAt, fee: courseRuns.fee, currency: courseRuns.currency })
    .from(courseRuns).innerJoin(courses, eq(courses.id, courseRuns.courseId))
    .where(and(inArray(courses.providerId, providerIds), eq(courseRuns.status, 'scheduled'), gt(courseRuns.startsAt, now)))
    .orderBy(asc(courses.id), asc(courseRuns.startsAt));
  const runs: DemoGuide['runs'] = [];
  const seen = new Set<string>();
  for (const { courseId, ...r } of allRuns) {
    if (r.runId === express?.runId || seen.has(courseId)) continue;
    seen.add(courseId);
    runs.push(r);
  }
  const closedSchemes = await db.select({ code: schemes.code, name: schemes.name }).from(schemes).where(eq(schemes.status, 'closed')).orderBy(asc(schemes.code));
  return { learners: learnerRows.map((l) => ({ ...l, schemes: schemesOf(l.id) })), providers: providerRows, ...(express ? { express } : {}), runs, closedSchemes };
}

const clockTime = (d: Date) => `${d.toISOString().slice(11, 19)} UTC`;

function inWords(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : s < 3600 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${Math.round(s / 3600)} h`;
}

/** One log line per id the README uses, each with the command that goes with it. */
export function logDemoGuide(logger: Logger, guide: DemoGuide, now: Date, keysFile: string): void {
  guide.learners.forEach((l, i) => {
    logger.info(
      { learnerId: l.id, maskedId: l.masked, country: l.country, schemes: l.schemes },
      `demo citizen ${i + 1} (${l.country} ${l.masked}; credit from ${l.schemes.join(', ') || 'no scheme'}) learnerId ${l.id}: ` +
        `npm run token -- --role citizen --learner ${l.id}`,
    );
  });
  for (const p of guide.providers) {
    logger.info(
      { providerId: p.id, name: p.legalName, country: p.country },
      `demo provider ${p.legalName} (${p.country}) providerId ${p.id}: npm run token -- --role provider --provider ${p.id}`,
    );
  }
  const e = guide.express;
  if (e) {
    const learner = guide.learners[0];
    const when = now < e.endsAt
      ? `ends at ${clockTime(e.endsAt)} (${e.endsAt.toISOString()}, in ${inWords(e.endsAt.getTime() - now.getTime())}); after that`
      : `ended at ${clockTime(e.endsAt)} (${e.endsAt.toISOString()}); now`;
    logger.info(
      { enrolmentId: e.enrolmentId, enrolmentStatus: e.status, runId: e.runId, course: e.courseTitle, endsAt: e.endsAt.toISOString(), learnerId: learner?.id },
      `demo express run ${e.runId} (${e.courseTitle}${learner ? `, demo citizen 1 enrolled` : ''}): enrolment ${e.enrolmentId} is ${e.status}; ` +
        `the run ${when}: npm run credential -- --enrolment ${e.enrolmentId}`,
    );
  }
  for (const r of guide.runs) {
    logger.info(
      { runId: r.runId, course: r.courseTitle, startsAt: r.startsAt.toISOString() },
      `demo course run ${r.runId} (${r.courseTitle}, starts ${r.startsAt.toISOString().slice(0, 10)}, fee ${isCurrency(r.currency) ? formatMoney(r.fee, r.currency) : `${r.fee} ${r.currency}`}): ` +
        `GET /v1/me/eligibility?courseRunId=${r.runId}`,
    );
  }
  for (const s of guide.closedSchemes) logger.info({ scheme: s.code }, `demo scheme ${s.code} is closed: ${s.name}`);
  logger.info({ keys: keysFile }, 'demo admin: npm run token -- --role admin');
  logger.info('demo finance officers: npm run token -- --role finance (proposes), npm run token -- --role finance --sub officer-2 (approves)');
}
