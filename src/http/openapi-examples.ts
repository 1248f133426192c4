import { createHash } from 'node:crypto';
import type { z } from 'zod';

/**
 * Examples for the OpenAPI document, built from the zod schemas: a schema's
 * own `.meta({ example })` (or the first of `examples`) wins; otherwise an
 * object is the example of each of its members, an array one item, an enum
 * its first value. A text or number leaf without one takes the value this
 * file keeps for its member name, so `currency` reads SGD and `amount` reads
 * "30000" in every operation alike. Ids are derived from the member name
 * (`learnerId` is the same UUID wherever it appears; the `id` of a Scheme is
 * its `schemeId`), so an example reads as one consistent world.
 *
 * A required member for which nothing can be derived throws, naming it: the
 * document cannot be built with a body that has no example.
 */

const at = '2027-03-01T09:30:00.000Z';

/** Example values by member name, for leaves whose schema has none of its own. */
const byName: Record<string, unknown> = {
  // money: minor units, as strings
  amount: '30000', allocated: '5000000000', granted: '1200000000', returned: '0', available: '3800000000', reserved: '30000',
  spent: '90000', balance: '30000', total: '30000', totalAmount: '30000', fee: '150000', coPayment: '120000', funded: '30000',
  expired: '0', revoked: '0', reversed: '0', spentDisbursed: '60000', spentAwaitingDisbursement: '30000', creditWithLearners: '1109910000',
  posted: '30000', pending: '0', debit: '30000', credit: '0', debits: '30000', credits: '30000', debitsPosted: '30000', creditsPosted: '0',
  debitsPending: '0', creditsPending: '0', earned: '90000', disbursed: '60000', inFlight: '30000', owed: '0', outstanding: '30000',
  recovered: '0', netted: '0', maxAmount: '50000', minAmount: '1000', perLearnerCap: '50000', cap: '50000', price: '150000',
  // identities and names
  currency: 'SGD', country: 'SG', citizenship: 'SG', code: 'SKILLS-2027', name: 'SkillsFuture Credit 2027', fullName: 'Tan Mei Ling',
  legalName: 'Lion City Digital Academy Pte Ltd', title: 'Data Analytics with Python', registrationNumber: '201912345K',
  contactEmail: 'claims@lioncity-academy.example', nationalId: 'S1234567D', kid: 'lioncity-2027-01', messageId: 'LC-20270301-0001',
  createdBy: 'officer-1', actor: 'officer-1', subject: 'officer-1', decidedBy: 'officer-2', requestedBy: 'officer-1', approvedBy: 'officer-2',
  reason: 'course completed and certificate verified', note: 'FY2027 allocation', comment: 'checked against the attendance record',
  description: 'Reservation for Data Analytics with Python, March 2027 run', category: 'data-analytics', q: 'python',
  accountName: 'Lion City Digital Academy Pte Ltd', bic: 'DBSSSGSG', iban: 'DE89370400440532013000', bankCode: '7171', accountNumber: '0123456789',
  // times
  createdAt: at, updatedAt: at, at, asOf: at, effectiveFrom: at, startsAt: '2027-03-15T01:00:00.000Z', endsAt: '2027-04-15T10:00:00.000Z',
  expiresAt: '2028-12-31T15:59:59.999Z', decidedAt: at, submittedAt: at, requestedAt: at, consentedAt: at, settledAt: at, releasedAt: at,
  cutOff: at, since: at, consentDeadline: '2027-03-08T09:30:00.000Z', reservationExpiresAt: '2027-04-15T10:00:00.000Z', holdUntil: '2027-04-15T10:00:00.000Z',
  endedAt: null, endReason: null, firstUseDeadline: '2028-03-01T09:30:00.000Z', decideBy: '2027-03-08T09:30:00.000Z', requestedExecutionDate: '2027-03-02', dateOfBirth: '1988-07-14',
  // people and systems
  proposedBy: 'officer-1', openedBy: 'officer-1', importedBy: 'officer-1', resolvedBy: 'officer-2', releasedBy: 'officer-2',
  proposedByRole: 'finance', actorRole: 'finance', nationalIdMasked: 'S****567D', employmentStatus: 'employed', incomeGroup: 'middle',
  schemeName: 'SkillsFuture Credit 2027', providerName: 'Lion City Digital Academy Pte Ltd', creditorName: 'Lion City Digital Academy Pte Ltd',
  // kinds and states that are plain text in their schema
  status: 'active', kind: 'disbursement_batch.release', subjectType: 'disbursement_batch',
  summary: 'Release batch LC-20270301-0001: 3 lines, SGD 900.00', claimStatus: 'on_hold', movement: 'earned', resolution: 'matched by hand to the returned payment',
  reference: 'RCV-20270301-0001', endToEndId: 'LC-20270301-0001-001', rule: 'citizenship', detail: 'citizenship SG is eligible for this scheme',
  problem: 'hash does not match the previous event', action: 'grant.created', entityType: 'grant', hash: 'b5d4045c3f466fa91fe2cc6abe79232a1a57cdf104f7a26e716e0a1e2789df78',
  seq: '42', credential: 'eyJhbGciOiJFZERTQSIsImtpZCI6Imxpb25jaXR5LTIwMjctMDEifQ.eyJlbnJvbG1lbnRJZCI6IjAxOTMifQ.c2lnbmF0dXJl', kty: 'OKP',
  accounts: '1', opened: '30000', nettingInFlight: '0', refunded: '0', cancelledByReturn: '0', repaid: '0', 'AccountMovement.code': 'grant', 'AccountMovement.kind': 'posted', 'ProviderStatement.kind': 'posted',
  'TrialBalance.kind': 'learner_grant',
};

/** Example objects by member name, where the first branch of a union is not the one to show. */
const objectsByName: Record<string, unknown> = {
  // A Singapore bank has no IBAN: bank code and account number.
  bankAccount: { accountName: 'Lion City Digital Academy Pte Ltd', bankCode: '7171', accountNumber: '0123456789' },
  jwk: { kty: 'OKP', crv: 'Ed25519', x: 'ww4sll93YBoEZso1bYfuzGAJ4wF5Rjr2GxRBVZjjbLQ', kid: 'lioncity-2027-01', alg: 'EdDSA', use: 'sig' },
};

/** Example counts and other numbers by member name; a whole number without one is 1. */
const numbersByName: Record<string, number> = {
  rulesVersion: 2, version: 2, hours: 24, capacity: 30, lineCount: 3, lines: 3, settled: 3, returned: 0, refunded: 0, pending: 0, info: 0, exceptions: 0,
  attendanceBps: 10000, chain: 0, open: 2, overdue: 0, escalated: 0, claims: 3, recoveries: 1, opened: 1, nettingInFlight: 0, repaid: 0,
  cancelledByReturn: 0, limit: 50,
};

const textFor = (name: string, owner: string | undefined) => (owner ? byName[`${owner}.${name}`] : undefined) ?? byName[name];

/** A stable UUID (version 7 layout) for a member name, so one name always shows one id. */
export function exampleId(name: string): string {
  const h = createHash('sha256').update(name).digest('hex');
  return `0193${h.slice(0, 4)}-${h.slice(4, 8)}-7${h.slice(8, 11)}-8${h.slice(11, 14)}-${h.slice(14, 26)}`;
}

type Def = {
  type: string;
  format?: string;
  shape?: Record<string, z.ZodType>;
  element?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  defaultValue?: unknown;
  getter?: () => z.ZodType;
  valueType?: z.ZodType;
};

const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

function ownExample(s: z.ZodType): { value: unknown } | undefined {
  const meta = s.meta() as { example?: unknown; examples?: unknown[]; id?: string } | undefined;
  if (meta?.example !== undefined) return { value: meta.example };
  if (meta?.examples?.length) return { value: meta.examples[0] };
  return undefined;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);

/** An example of `schema`; `name` is the member it is the value of. Undefined when none can be derived. */
function derive(schema: z.ZodType, name: string, owner: string | undefined, trail: string, missing: string[]): { value: unknown } | undefined {
  const own = ownExample(schema);
  if (own) return own;
  if (name in objectsByName) return { value: objectsByName[name] };
  const def = defOf(schema);
  const componentId = (schema.meta() as { id?: string } | undefined)?.id;
  switch (def.type) {
    case 'nullable': {
      // A nullable member whose value cannot be shown is shown as null: not yet paid, not yet decided.
      const own: string[] = [];
      const got = derive(def.innerType!, name, owner, trail, own);
      return got && own.length === 0 ? got : { value: null };
    }
    case 'optional':
    case 'readonly':
    case 'nonoptional':
    case 'catch':
      return derive(def.innerType!, name, owner, trail, missing);
    case 'default':
      return derive(def.innerType!, name, owner, trail, missing) ?? { value: def.defaultValue };
    case 'pipe':
      return derive(def.in!, name, owner, trail, missing);
    case 'lazy':
      return derive(def.getter!(), name, owner, trail, missing);
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(def.shape!)) {
        const optional = (member as unknown as { _zod: { optin?: string } })._zod.optin === 'optional';
        const got = derive(member, key, componentId ?? owner, `${trail}.${key}`, missing);
        if (got) out[key] = got.value;
        else if (!optional) missing.push(`${trail}.${key}`);
      }
      return { value: out };
    }
    case 'array': {
      const item = derive(def.element!, name, owner, `${trail}[]`, missing);
      return { value: item ? [item.value] : [] };
    }
    case 'record':
      return { value: {} };
    case 'union':
      for (const option of def.options!) {
        const own: string[] = [];
        const got = derive(option, name, owner, trail, own);
        if (got && own.length === 0) return got;
      }
      missing.push(trail);
      return { value: undefined };
    case 'enum':
      return { value: Object.values(def.entries!)[0] };
    case 'literal':
      return { value: def.values![0] };
    case 'boolean':
      return { value: false };
    case 'null':
      return { value: null };
    case 'string': {
      if (def.format === 'uuid' || def.format === 'guid') return { value: exampleId(name === 'id' && owner ? `${lowerFirst(owner)}Id` : name) };
      const named = textFor(name, owner);
      if (named !== undefined) return { value: named };
      if (def.format === 'datetime' || /(At|Deadline|Until)$/.test(name)) return { value: at };
      if (/Id$/.test(name)) return { value: exampleId(name) };
      if (def.format === 'date') return { value: at.slice(0, 10) };
      if (def.format === 'email') return { value: 'claims@lioncity-academy.example' };
      if (/minor units/i.test(String((schema.meta() as { description?: string } | undefined)?.description ?? ''))) return { value: '30000' };
      return undefined;
    }
    case 'number':
    case 'int':
      return { value: numbersByName[name] ?? 1 };
    default:
      return undefined;
  }
}

/** The example of a request or response body; throws when a required member has none (see above). */
export function exampleOf(schema: z.ZodType, where: string): unknown {
  const missing: string[] = [];
  const got = derive(schema, '', undefined, where, missing);
  if (!got) missing.push(where);
  if (missing.length > 0) {
    throw new Error(`no example for ${missing.join(', ')}: give the schema .meta({ example }), name the member in src/http/openapi-examples.ts, or give the route an example`);
  }
  return got!.value;
}
