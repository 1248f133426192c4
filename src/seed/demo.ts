import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { schemes } from '../db/schema/index.js';
import { inTransaction } from '../db/transaction.js';
import type { Principal } from '../lib/principal.js';
import type { Logger } from '../lib/logger.js';
import type { Currency } from '../lib/money.js';
import { recordAudit, type AuditEntry } from '../modules/audit/audit.repo.js';
import type { ServiceDeps } from '../modules/deps.js';
import { newCourseRunSchema, newCourseSchema } from '../modules/courses/courses.schemas.js';
import { coursesService } from '../modules/courses/courses.service.js';
import { selfEnrol } from '../modules/enrolments/enrolments.service.js';
import { grantCredit } from '../modules/grants/grants.service.js';
import { allocateIncentiveBudget } from '../modules/incentives/incentives.service.js';
import type { PayeeAccountInput } from '../modules/learners/payee-account/payee-account.schemas.js';
import { registerPayeeAccount } from '../modules/learners/payee-account/payee-account.service.js';
import { createPathwayBody } from '../modules/pathways/pathways.schemas.js';
import { createPathway } from '../modules/pathways/pathways.service.js';
import { registerLearner } from '../modules/learners/learners.service.js';
import { newProviderSchema } from '../modules/providers/providers.schemas.js';
import { providersService } from '../modules/providers/providers.service.js';
import { publicJwkSchema } from '../modules/providers/signing-key.js';
import { schemeRulesSchema } from '../modules/schemes/scheme-rules.js';
import { allocateBudget, createScheme } from '../modules/schemes/schemes.service.js';
import type { Runtime } from '../runtime.js';
import { DEMO_ACTOR, DEMO_ANCHOR_SCHEME, logDemoGuide, readDemoGuide } from './demo-guide.js';
import { frenchNir, indonesianNik, singaporeNric } from './national-ids.js';
import { DAY_MS } from '../lib/dates.js';
import { EQUITY_SCHEME, seedEquityCohort } from './demo-equity.js';
import { seedCompletedCourse } from './demo-history.js';

const actor: AuditEntry['actor'] = { role: 'system', subject: DEMO_ACTOR };
const acting = { actor };

interface SchemeSpec {
  code: string;
  name: string;
  country: string;
  currency: Currency;
  rules: Record<string, unknown>;
  budget: bigint;
  /** Funds the completion incentives the rules' `incentive` pays learners. */
  incentiveBudget?: bigint;
  /**
   * The end of the scheme's credit, a real date. Seeded before it, the grants
   * expire then; seeded after it, the scheme is closed and grants nothing.
   */
  creditUntil?: Date;
}

/** SkillsFuture Credit 2020 top-up: usable until 31 Dec 2025, Singapore time. */
const TOPUP_2020_UNTIL = new Date('2025-12-31T23:59:59+08:00');

/** Amounts in minor units (all seeded currencies have 2 decimals). */
const schemeSpecs: SchemeSpec[] = [
  {
    code: 'SG-SFC',
    name: 'SkillsFuture Credit',
    country: 'SG',
    currency: 'SGD',
    rules: { eligibleCitizenships: ['SG'], ageBand: { min: 25 }, subsidyRateBps: 10_000, capPerCourse: null, grantValidityDays: null },
    budget: 500_000_000n, // SGD 5,000,000
  },
  {
    code: 'SG-SFC-TOPUP-2020',
    name: 'SkillsFuture Credit 2020 top-up (credit until 31 Dec 2025)',
    country: 'SG',
    currency: 'SGD',
    rules: { eligibleCitizenships: ['SG'], ageBand: { min: 25 }, subsidyRateBps: 10_000 },
    budget: 100_000_000n, // SGD 1,000,000
    creditUntil: TOPUP_2020_UNTIL,
  },
  {
    code: 'SG-SFC-MC',
    name: 'SkillsFuture Credit (Mid-Career)',
    country: 'SG',
    currency: 'SGD',
    rules: { eligibleCitizenships: ['SG'], ageBand: { min: 40 }, subsidyRateBps: 10_000, courseQualification: { kind: 'approved' } },
    budget: 2_000_000_000n, // SGD 20,000,000
  },
  {
    code: 'ID-PRAKERJA',
    name: 'Kartu Prakerja',
    country: 'ID',
    currency: 'IDR',
    rules: {
      eligibleCitizenships: ['ID'],
      ageBand: { min: 18, max: 64 },
      employmentStatuses: ['employed', 'self_employed', 'unemployed'],
      subsidyRateBps: 10_000,
      firstUseDeadlineDays: 15,
      // Rp600,000 after completion, once the learner has rated the course (IDR has 2 minor digits here: src/lib/money.ts).
      incentive: { amount: '60000000', requiresRating: true },
    },
    budget: 3_500_000_000_000n, // IDR 35,000,000,000 (10,000 cards)
    incentiveBudget: 600_000_000_000n, // IDR 6,000,000,000 (10,000 incentives)
  },
  {
    code: 'FR-CPF',
    name: 'Compte personnel de formation',
    country: 'FR',
    currency: 'EUR',
    rules: {
      eligibleCitizenships: ['FR'],
      subsidyRateBps: 10_000,
      minCoPayment: { kind: 'amount', amount: '10000' }, // EUR 100 flat learner co-payment
    },
    budget: 1_000_000_000n, // EUR 10,000,000
  },
  EQUITY_SCHEME,
];

interface LearnerSpec {
  key: string;
  fullName: string;
  country: 'SG' | 'ID' | 'FR';
  age: number;
  female: boolean;
  employmentStatus: string;
  incomeGroup: string;
  /** scheme code -> amount; a scheme's grants expire at its creditUntil, else by its rules. */
  grants: { scheme: string; amount: bigint }[];
  /** Where their completion incentives are paid. */
  payee?: PayeeAccountInput;
}

export const learnerSpecs: LearnerSpec[] = [
  {
    key: 'sg-30', fullName: 'Tan Wei Ling', country: 'SG', age: 30, female: true, employmentStatus: 'employed', incomeGroup: 'middle',
    grants: [
      { scheme: 'SG-SFC', amount: 50_000n },
      { scheme: 'SG-SFC-TOPUP-2020', amount: 50_000n },
    ],
  },
  {
    key: 'sg-45', fullName: 'Muhammad Hafiz bin Ismail', country: 'SG', age: 45, female: false, employmentStatus: 'employed', incomeGroup: 'middle',
    grants: [
      { scheme: 'SG-SFC', amount: 50_000n },
      { scheme: 'SG-SFC-TOPUP-2020', amount: 50_000n },
      { scheme: 'SG-SFC-MC', amount: 400_000n },
    ],
  },
  {
    key: 'sg-52', fullName: 'Lim Boon Keng', country: 'SG', age: 52, female: false, employmentStatus: 'self_employed', incomeGroup: 'high',
    grants: [
      { scheme: 'SG-SFC', amount: 50_000n },
      { scheme: 'SG-SFC-MC', amount: 400_000n },
    ],
  },
  {
    key: 'sg-27', fullName: 'Priya d/o Raman', country: 'SG', age: 27, female: true, employmentStatus: 'unemployed', incomeGroup: 'low',
    grants: [{ scheme: 'SG-SFC', amount: 50_000n }],
  },
  {
    key: 'id-25', fullName: 'Siti Rahmawati', country: 'ID', age: 25, female: true, employmentStatus: 'unemployed', incomeGroup: 'low',
    payee: { kind: 'ewallet', accountName: 'Siti Rahmawati', ewallet: { provider: 'gopay', accountId: '081234567890' } },
    grants: [{ scheme: 'ID-PRAKERJA', amount: 350_000_000n }], // IDR 3,500,000
  },
  {
    key: 'fr-35', fullName: 'Camille Durand', country: 'FR', age: 35, female: true, employmentStatus: 'employed', incomeGroup: 'middle',
    grants: [{ scheme: 'FR-CPF', amount: 150_000n }], // EUR 1,500 (three years of EUR 500)
  },
];

interface ProviderSpec {
  key: string;
  legalName: string;
  registrationNumber: string;
  country: string;
  contactEmail: string;
  bankAccount: Record<string, string>;
  courses: { code: string; title: string; category: string; skills: string[]; hours: number; fee: bigint; currency: Currency; schemes: string[] }[];
}

/** The demo pathway: every SkillsFuture Credit course of the demo, within 12 months, with a SGD 100.00 bonus. */
const DEMO_PATHWAY = {
  scheme: 'SG-SFC',
  body: {
    code: 'DIGITAL-STARTER', name: 'Digital Skills Starter', description: 'Data analytics and cybersecurity foundations, within a year',
    rule: { kind: 'all' }, withinMonths: 12,
    award: {
      bonusCredit: { amount: '10000', expiresInDays: 365 },
      achievement: { name: 'Digital Skills Starter', description: 'Completed the data analytics and cybersecurity foundation courses within twelve months' },
    },
  },
} as const;

export const providerSpecs: ProviderSpec[] = [
  {
    key: 'sg', legalName: 'Lion City Digital Academy Pte Ltd', registrationNumber: '201912345K', country: 'SG', contactEmail: 'claims@lioncity-academy.example',
    bankAccount: { accountName: 'Lion City Digital Academy Pte Ltd', bankCode: '7171', accountNumber: '0721234567' },
    courses: [
      {
        code: 'TGS-2026000101', title: 'Data Analytics with Python', category: 'data-analytics', skills: ['Python', 'pandas', 'Data visualisation'], hours: 35,
        fee: 120_000n, currency: 'SGD', schemes: ['SG-SFC', 'SG-SFC-TOPUP-2020', 'SG-SFC-MC'],
      },
      {
        code: 'TGS-2026000102', title: 'Foundations of Cybersecurity', category: 'cybersecurity', skills: ['Threat modelling', 'Network security'], hours: 16,
        fee: 45_000n, currency: 'SGD', schemes: ['SG-SFC', 'SG-SFC-TOPUP-2020'],
      },
    ],
  },
  {
    key: 'id', legalName: 'PT Belajar Nusantara', registrationNumber: '9120001234567', country: 'ID', contactEmail: 'mitra@belajar-nusantara.example',
    bankAccount: { accountName: 'PT Belajar Nusantara', bankCode: '014', accountNumber: '1234567890' },
    courses: [
      {
        code: 'PKJ-DM-01', title: 'Digital Marketing untuk UMKM', category: 'digital-marketing', skills: ['Media sosial', 'Iklan digital'], hours: 12,
        fee: 150_000_000n, currency: 'IDR', schemes: ['ID-PRAKERJA'],
      },
      {
        code: 'PKJ-WEB-01', title: 'Dasar Pemrograman Web', category: 'software-development', skills: ['HTML', 'CSS', 'JavaScript'], hours: 20,
        fee: 300_000_000n, currency: 'IDR', schemes: ['ID-PRAKERJA'],
      },
    ],
  },
  {
    key: 'fr', legalName: 'Formation Avenir SAS', registrationNumber: '73282932000074', country: 'FR', contactEmail: 'edof@formation-avenir.example',
    bankAccount: { accountName: 'Formation Avenir SAS', bic: 'AGRIFRPP', iban: 'FR7630006000011234567890189' },
    courses: [
      {
        code: 'RS-AGILE-2026', title: 'Gestion de projet Agile (certification)', category: 'project-management', skills: ['Scrum', 'Kanban'], hours: 21,
        fee: 120_000n, currency: 'EUR', schemes: ['FR-CPF'],
      },
    ],
  },
];

/** A date of birth (YYYY-MM-DD) that makes someone `age` today, with their birthday ~100 days ago. */
function dateOfBirthForAge(now: Date, age: number): string {
  const d = new Date(now.getTime() - 100 * DAY_MS);
  d.setUTCFullYear(d.getUTCFullYear() - age);
  return d.toISOString().slice(0, 10);
}

export function nationalIdFor(spec: LearnerSpec, serial: number, dateOfBirth: string): string {
  switch (spec.country) {
    case 'SG':
      return singaporeNric(1234 + serial * 7919, Number(dateOfBirth.slice(0, 4)));
    case 'ID':
      return indonesianNik(serial + 1, dateOfBirth, spec.female);
    case 'FR':
      return frenchNir(serial + 1, dateOfBirth, spec.female);
  }
}

interface SeededLearner { id: string }
interface SeededProvider { id: string; legalName: string; kid: string; privateJwk: JWK }

/**
 * Demo data for a first embedded start: schemes with budgets, learners with
 * grants, providers with signing keys, approved courses with runs. Every
 * start, the first or not, then logs the ids the README uses.
 */
export async function seedDemoData(runtime: Runtime & { logger: Logger; dataDir: string }): Promise<void> {
  const { logger } = runtime;
  const db = runtime.database.db;
  const keysFile = path.join(runtime.dataDir, 'demo', 'provider-keys.json');
  const [existing] = await db.select({ id: schemes.id }).from(schemes).where(eq(schemes.code, DEMO_ANCHOR_SCHEME)).limit(1);
  if (existing) logger.info({ keys: keysFile }, 'demo data already present');
  else await seed(runtime, keysFile);
  const now = runtime.clock.now();
  const guide = await readDemoGuide(db, now);
  if (guide) logDemoGuide(logger, guide, now, keysFile);
  logger.info(
    `demo equity report: GET /v1/reports/equity?groupBy=incomeGroup (or region, urbanRural, ageBand, gender, disability; format=csv) with the token of npm run token -- --role analyst`,
  );
}

async function seed(runtime: Runtime & { logger: Logger; dataDir: string }, keysFile: string): Promise<void> {
  const { logger } = runtime;
  const deps: ServiceDeps = {
    database: runtime.database, ledger: runtime.ledger, clock: runtime.clock, logger, nationalIds: runtime.nationalIds, keySealer: runtime.keySealer,
  };
  const db = runtime.database.db;
  const started = Date.now();
  // One transaction: a failed seed leaves nothing behind and runs again next start.
  const { learnersSeeded, providersSeeded, grantCount, courseCount, runCount, pathwayId } = await inTransaction(db, async (tx) => {
    const now = deps.clock.now();
    const schemeIds = new Map<string, string>();
    // Schemes whose credit ended before today: created (their history is real) but closed once the courses are approved.
    const ended = new Set(schemeSpecs.filter((s) => s.creditUntil && s.creditUntil <= now).map((s) => s.code));
    const creditUntil = new Map(schemeSpecs.flatMap((s) => (s.creditUntil ? [[s.code, s.creditUntil] as const] : [])));
    for (const s of schemeSpecs) {
      const id = await createScheme(
        deps, tx, { code: s.code, name: s.name, country: s.country, currency: s.currency, rules: schemeRulesSchema.parse(s.rules) }, acting,
      );
      if (!ended.has(s.code)) await allocateBudget(deps, tx, id, s.budget, 'demo seed: initial allocation', acting);
      if (!ended.has(s.code) && s.incentiveBudget) await allocateIncentiveBudget(deps, tx, id, s.incentiveBudget, 'demo seed: incentive budget', acting);
      schemeIds.set(s.code, id);
    }

    const learnersSeeded: SeededLearner[] = [];
    let grantCount = 0;
    for (const [i, spec] of learnerSpecs.entries()) {
      const dateOfBirth = dateOfBirthForAge(now, spec.age);
      const learner = await registerLearner(
        deps, tx,
        {
          country: spec.country, nationalId: nationalIdFor(spec, i, dateOfBirth), fullName: spec.fullName, dateOfBirth,
          citizenship: spec.country, employmentStatus: spec.employmentStatus, incomeGroup: spec.incomeGroup,
        },
        acting,
      );
      for (const g of spec.grants) {
        if (ended.has(g.scheme)) continue;
        const until = creditUntil.get(g.scheme);
        await grantCredit(
          deps, tx,
          {
            learnerId: learner.id, schemeId: schemeIds.get(g.scheme)!, amount: g.amount,
            ...(until ? { expiresAt: until.toISOString() } : {}),
            reason: 'demo seed',
          },
          acting,
        );
        grantCount++;
      }
      // The learner's own first registration, which alone is in force at once (an officer's would wait for a second one).
      if (spec.payee) await registerPayeeAccount(deps, tx, learner.id, spec.payee, { actor: { role: 'citizen', subject: DEMO_ACTOR } });
      learnersSeeded.push({ id: learner.id });
    }
    // Its own actor, so the demo guide (which lists the seed's learners by their audit events) names only the six above.
    const cohort = await seedEquityCohort(deps, tx, schemeIds.get(EQUITY_SCHEME.code)!, { actor: { role: 'system', subject: `${DEMO_ACTOR}:equity-cohort` } });
    grantCount += cohort;

    const providers = providersService(deps);
    // The seed acts as the system; actorOf() only reads role and subject.
    const caller = { db: tx, principal: actor as unknown as Principal, requestId: 'demo-seed' };
    const providersSeeded: SeededProvider[] = [];
    const courses = coursesService(deps);
    let courseCount = 0;
    let runCount = 0;
    let expressCourse: { id: string; asProvider: Parameters<typeof courses.addRun>[0]; fee: bigint } | undefined;
    const pathwayCourses: string[] = [];
    const sgdCourses: { id: string; fee: bigint; provider: SeededProvider }[] = [];
    for (const p of providerSpecs) {
      const row = await providers.create(caller, newProviderSchema.parse({
        legalName: p.legalName, registrationNumber: p.registrationNumber, country: p.country, contactEmail: p.contactEmail, bankAccount: p.bankAccount,
      }));
      const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
      const kid = `${p.key}-demo-${now.toISOString().slice(0, 10)}`;
      const key = await providers.addKey(caller, row.id, publicJwkSchema.parse({ ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }));
      providersSeeded.push({ id: row.id, legalName: row.legalName, kid: key.kid, privateJwk: { ...(await exportJWK(privateKey)), kid: key.kid, alg: 'EdDSA' } });

      // Courses are created by the provider itself, approved by the system, with two runs each.
      const asProvider = { db: tx, principal: { role: 'provider', subject: `provider:${row.id}`, providerId: row.id } as Principal, requestId: 'demo-seed' };
      for (const c of p.courses) {
        const course = await courses.createCourse(asProvider, newCourseSchema.parse({ code: c.code, title: c.title, category: c.category, skills: c.skills, hours: c.hours }));
        for (const code of c.schemes) await courses.approve(caller, course.id, schemeIds.get(code)!);
        if (c.schemes.includes(DEMO_PATHWAY.scheme)) pathwayCourses.push(course.id);
        if (!expressCourse && c.currency === 'SGD') expressCourse = { id: course.id, asProvider, fee: c.fee };
        if (c.currency === 'SGD') sgdCourses.push({ id: course.id, fee: c.fee, provider: providersSeeded[providersSeeded.length - 1]! });
        for (const startInDays of [21, 56]) {
          const startsAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + startInDays, 1, 0, 0));
          const endsAt = new Date(startsAt.getTime() + (Math.ceil(c.hours / 7) - 1) * DAY_MS + 8 * 3_600_000);
          await courses.addRun(asProvider, course.id, newCourseRunSchema.parse({
            startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), fee: c.fee.toString(), currency: c.currency, capacity: 30,
          }));
          runCount++;
        }
        courseCount++;
      }
    }
    // An express run that ends three minutes after first start, with the first
    // learner already enrolled, so the README can walk to a paid claim today.
    const firstLearner = learnersSeeded[0];
    if (expressCourse && firstLearner) {
      const run = await courses.addRun(expressCourse.asProvider, expressCourse.id, newCourseRunSchema.parse({
        startsAt: new Date(now.getTime() + 60_000).toISOString(), endsAt: new Date(now.getTime() + 180_000).toISOString(),
        fee: expressCourse.fee.toString(), currency: 'SGD', capacity: 30,
      }));
      runCount++;
      await selfEnrol(deps, tx, firstLearner.id, run.id, acting);
    }
    // A stackable pathway over the SkillsFuture courses: both within a year earn a scheme-signed credential and a bonus.
    const pathway = pathwayCourses.length >= 2
      ? await createPathway(deps, tx, createPathwayBody.parse({ ...DEMO_PATHWAY.body, schemeId: schemeIds.get(DEMO_PATHWAY.scheme)!, courseIds: pathwayCourses }), acting)
      : undefined;
    // A course just finished, its claim approved: a kept credential in the third citizen's record from the first start.
    const finisher = learnersSeeded[2];
    const finished = sgdCourses[1];
    if (finisher && finished) {
      await seedCompletedCourse(deps, tx, { learnerId: finisher.id, courseId: finished.id, fee: finished.fee, currency: 'SGD', provider: finished.provider }, acting);
    }
    for (const code of ended) {
      const id = schemeIds.get(code)!;
      // No service closes a scheme yet; the seed does it as the system, with its audit event.
      await tx.update(schemes).set({ status: 'closed' }).where(eq(schemes.id, id));
      await recordAudit(tx, {
        actor, action: 'scheme.closed', entityType: 'scheme', entityId: id, at: now,
        details: { reason: `its credit ended on ${creditUntil.get(code)!.toISOString()}, before the demo was seeded` },
      });
    }
    return { learnersSeeded, providersSeeded, grantCount, courseCount, runCount, pathwayId: pathway?.id };
  });

  // Private keys for the credential CLI (npm run credential); readable by this user only.
  await mkdir(path.dirname(keysFile), { recursive: true, mode: 0o700 });
  await writeFile(
    keysFile,
    `${JSON.stringify({ providers: providersSeeded.map((p) => ({ providerId: p.id, legalName: p.legalName, kid: p.kid, alg: 'EdDSA', privateJwk: p.privateJwk })) }, null, 2)}\n`,
    { mode: 0o600 },
  );

  logger.info(
    { schemes: schemeSpecs.length, learners: learnersSeeded.length, grants: grantCount, providers: providersSeeded.length,
      courses: courseCount, courseRuns: runCount, pathway: pathwayId, ms: Date.now() - started },
    'demo data seeded',
  );
}
