import { sql, type SQL } from 'drizzle-orm';

/**
 * How erasure removes one personal column: `null` clears it; `mark` and
 * `mark-json` replace it with the text `erased` or the JSON `{"erased": true}`
 * (for columns that must keep a value), leaving a null null; `delete-row`
 * deletes the learner's rows of the table.
 */
export type Erasure = 'null' | 'mark' | 'mark-json' | 'delete-row';

/** Where the export lists a table's rows: its section, their order, and the columns left out (secrets, account details the API only shows masked). */
export interface ExportOf {
  section: string;
  orderBy: string;
  omit: readonly string[];
}

/** One table that holds rows of a learner. */
export interface LearnerTable {
  table: string;
  /** The column that keys a row to the learner; undefined where `matches` finds their rows another way. */
  learnerKey?: string;
  matches?: (learnerId: string) => SQL;
  /** Undefined for a table the export does not list as a section (the learner row is its profile). */
  export?: ExportOf;
  /** The columns that hold the learner's personal data, and how erasure removes each; the rest (amounts, ids, states) stays. */
  personal: Readonly<Record<string, Erasure>>;
  /** The column set to the time of erasure in the same statement (a check ties it to the cleared columns). */
  erasedAt?: string;
}

const none = [] as const;

/**
 * The one catalogue of where a learner's data lives: what the export lists
 * (data-export.repo.ts) and what erasure removes (erasure.repo.ts). A new
 * table keyed by the learner, or a new personal column, is added here and
 * nowhere else. test/data-rights/export.test.ts checks that every table with
 * a learner_id column is here; erasure.test.ts that every personal column is
 * gone after an erasure.
 */
export const learnerData = [
  { table: 'learner_contacts', learnerKey: 'learner_id', export: { section: 'contacts', orderBy: 'learner_id', omit: none },
    personal: { email: 'delete-row', phone: 'delete-row' } },
  { table: 'grants', learnerKey: 'learner_id', export: { section: 'grants', orderBy: 'granted_at, id', omit: none }, personal: {} },
  { table: 'enrolments', learnerKey: 'learner_id', export: { section: 'enrolments', orderBy: 'requested_at, id', omit: none }, personal: {} },
  { table: 'enrolment_reservations', learnerKey: 'learner_id', export: { section: 'reservations', orderBy: 'enrolment_id, module_ordinal, grant_id', omit: none }, personal: {} },
  { table: 'claims', learnerKey: 'learner_id', export: { section: 'claims', orderBy: 'submitted_at, id', omit: none }, personal: {} },
  { table: 'learner_credentials', learnerKey: 'learner_id', export: { section: 'credentials', orderBy: 'created_at, id', omit: none }, personal: {} },
  // A share's label is the learner's own free text.
  { table: 'credential_shares', learnerKey: 'learner_id', export: { section: 'credentialShares', orderBy: 'created_at, id', omit: ['token_sha256'] }, personal: { label: 'mark' } },
  { table: 'credential_share_uses', learnerKey: 'learner_id', export: { section: 'credentialShareUses', orderBy: 'at, id', omit: none }, personal: {} },
  { table: 'pathway_completions', learnerKey: 'learner_id', export: { section: 'pathwayCompletions', orderBy: 'completed_at, id', omit: none }, personal: {} },
  { table: 'incentives', learnerKey: 'learner_id', export: { section: 'incentives', orderBy: 'accrued_at, id', omit: none }, personal: {} },
  { table: 'learner_payables', learnerKey: 'learner_id', export: { section: 'incentiveBalances', orderBy: 'currency', omit: none }, personal: {} },
  // A rating's stars stay in the course's figures; its comment is the learner's own free text.
  { table: 'course_ratings', learnerKey: 'learner_id', export: { section: 'ratings', orderBy: 'rated_at, enrolment_id', omit: none }, personal: { comment: 'null' } },
  { table: 'learner_payee_accounts', learnerKey: 'learner_id', export: { section: 'payeeAccounts', orderBy: 'created_at, id', omit: ['account'] },
    personal: { account: 'mark-json', masked: 'mark' } },
  // The lines that paid the learner keep their amounts, references and states; only who and where they paid goes.
  { table: 'payment_lines', learnerKey: 'learner_id', export: { section: 'payments', orderBy: 'id', omit: ['creditor_account'] },
    personal: { creditor_name: 'mark', creditor_account: 'mark-json' } },
  { table: 'learner_equity_profiles', learnerKey: 'learner_id', export: { section: 'equityProfile', orderBy: 'recorded_at, id', omit: none },
    personal: {
      income_country: 'delete-row', income_year: 'delete-row', income_group: 'delete-row', region: 'delete-row', urban_rural: 'delete-row', gender: 'delete-row', disability: 'delete-row',
    } },
  // A counter officer's reason is free text about the learner; it is also copied as the staff read's purpose.
  { table: 'counter_acts', learnerKey: 'learner_id', export: { section: 'counterActs', orderBy: 'at, id', omit: none }, personal: { reason: 'mark' } },
  { table: 'staff_data_reads', learnerKey: 'learner_id', export: { section: 'staffReads', orderBy: 'at, id', omit: none }, personal: { purpose: 'mark' } },
  // An appeal's statement is the learner's own words, and an officer's note may repeat them: the decision and its amounts stay.
  { table: 'grant_appeals', learnerKey: 'learner_id', export: { section: 'appeals', orderBy: 'filed_at, id', omit: none }, personal: { statement: 'mark', decision_note: 'mark' } },
  { table: 'notices', learnerKey: 'learner_id', export: { section: 'notices', orderBy: 'created_at, id', omit: none }, personal: {} },
  { table: 'outbox_events', learnerKey: 'learner_id', export: { section: 'events', orderBy: 'seq', omit: none }, personal: {} },
  // The learner's own row is the export's profile; the keyed hash and the masked form are both the national id.
  { table: 'learners', learnerKey: 'id', personal: { full_name: 'null', date_of_birth: 'null', national_id_hash: 'null', national_id_masked: 'null' }, erasedAt: 'erased_at' },
  // A stored response is replayed only to a retry of the same request; the learner's own, or one that names them, would repeat what was erased.
  { table: 'idempotency_keys', matches: (learnerId: string) => sql`scope = ${`citizen:${learnerId}`} or strpos(body, ${learnerId}) > 0`, personal: { body: 'delete-row' } },
] as const satisfies readonly LearnerTable[];

/** The condition that picks one learner's rows of a catalogued table. */
export function rowsOfLearner(t: LearnerTable, learnerId: string): SQL {
  if (t.matches) return t.matches(learnerId);
  return sql`${sql.identifier(t.learnerKey!)} = ${learnerId}`;
}
