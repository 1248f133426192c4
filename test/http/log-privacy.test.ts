import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import request from 'supertest';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/lib/logger.js';
import { nationalIdProblem, normalise } from '../../src/lib/national-id.js';
import { frenchNir, indonesianNik, singaporeNric } from '../../src/seed/national-ids.js';
import { useHarness } from '../support/harness.js';
import { createKeyedApp, type KeyedApp } from './keyed-app.js';

/**
 * One realistic run of the service with its logs captured: registrations,
 * look-ups, changes, national ids in URLs and query strings, refusals and two
 * 500s from database errors whose parameters and detail hold a learner's
 * name, date of birth and national-id HMAC. Then the whole captured text is
 * searched for every national id (as sent and normalised), name and birth
 * date the run used, and for the HMACs.
 */

/** A valid id in the country's format: `body` followed by the first of `keys` that makes its checksum pass. */
function withValidKey(country: string, body: string, keys: string[]): string {
  const id = keys.map((k) => `${body}${k}`).find((candidate) => !nationalIdProblem(country, candidate));
  if (!id) throw new Error(`no valid ${country} id for ${body}`);
  return id;
}
const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
const twoDigits = Array.from({ length: 100 }, (_, i) => String(i).padStart(2, '0'));

interface Person {
  label: string;
  country: string;
  /** As the client sends it (separators, lower case). */
  sent: string;
  fullName: string;
  dateOfBirth: string;
}

const people: Person[] = [
  { label: 'SG NRIC', country: 'SG', sent: singaporeNric(4711, 1991), fullName: 'Goh Mei Xuan', dateOfBirth: '1991-04-17' },
  { label: 'SG NRIC, born after 2000, lower case', country: 'SG', sent: singaporeNric(802, 2003).toLowerCase(), fullName: 'Ong Jun Jie', dateOfBirth: '2003-09-02' },
  { label: 'SG FIN (F)', country: 'SG', sent: withValidKey('SG', 'F2345678', letters), fullName: 'Arjun Raghavan', dateOfBirth: '1986-11-23' },
  { label: 'SG FIN (G)', country: 'SG', sent: withValidKey('SG', 'G8765432', letters), fullName: 'Nguyen Thi Lan', dateOfBirth: '1994-02-08' },
  { label: 'SG FIN (M)', country: 'SG', sent: withValidKey('SG', 'M3141592', letters), fullName: 'Oluwaseun Adeyemi', dateOfBirth: '1999-07-30' },
  { label: 'ID NIK', country: 'ID', sent: indonesianNik(2718, '1993-05-14', true, '327301'), fullName: 'Siti Rahayu Wulandari', dateOfBirth: '1993-05-14' },
  { label: 'ID NIK with spaces', country: 'ID', sent: '3578 1206 0888 0031', fullName: 'Bambang Hartono Saputra', dateOfBirth: '1988-06-12' },
  { label: 'FR NIR', country: 'FR', sent: frenchNir(217, '1987-03-09', false, '69', '123'), fullName: 'Mathieu Lefèvre-Aubry', dateOfBirth: '1987-03-09' },
  { label: 'FR NIR, Corsica 2A, with spaces', country: 'FR', sent: withValidKey('FR', '2 95 03 2A 004 118 ', twoDigits), fullName: 'Maria-Chiara Santoni', dateOfBirth: '1995-03-21' },
  { label: 'FR NIR, Corsica 2B', country: 'FR', sent: withValidKey('FR', '182072B033045', twoDigits), fullName: 'Ghjuvan Petru Casanova', dateOfBirth: '1982-07-05' },
  { label: 'MY MyKad with dashes', country: 'MY', sent: '870412-14-5821', fullName: 'Nurul Izzah binti Kamaruddin', dateOfBirth: '1987-04-12' },
  { label: 'MY MyKad', country: 'MY', sent: '920830105377', fullName: 'Lim Chee Keong', dateOfBirth: '1992-08-30' },
];

/** The learner a database failure is forced for: two registrations with this name break a constraint. */
const probe: Person = {
  label: 'probe', country: 'MY', sent: '900215-08-6044', fullName: 'Probe Farah Aminah binti Yusof', dateOfBirth: '1990-02-15',
};
const probeTwin: Person = { ...probe, label: 'probe twin', sent: '900215-08-6052' };

const raw: string[] = [];
const sink = { write: (s: string) => void raw.push(s) };

const h = useHarness();
let keyed: KeyedApp;
let admin: string;

beforeAll(async () => {
  keyed = await createKeyedApp(h, { logger: createLogger('trace', sink) });
  admin = await keyed.sign({ role: 'admin', sub: 'admin-1' });
  // A real constraint whose violation the error handler does not map to a 4xx (23P01),
  // so a second registration of the probe's name fails inside the INSERT with a 500.
  await h.database.db.execute(
    sql.raw(`alter table learners add constraint log_privacy_probe exclude using btree (full_name with =) where (full_name like 'Probe %')`),
  );
  // A failure whose message quotes a value, the way PostgreSQL's input errors do, and whose detail names the learner.
  await h.database.db.execute(
    sql.raw(`create function log_privacy_refuse() returns trigger language plpgsql as $$
      begin
        if new.full_name like 'Renamed %' then
          raise exception 'invalid input syntax for type date: "%"', new.date_of_birth
            using errcode = 'XX000', detail = 'Failing row contains (' || new.full_name || ', ' || new.date_of_birth || ').';
        end if;
        return new;
      end $$;
      create trigger log_privacy_refuse before update on learners for each row execute function log_privacy_refuse();`),
  );
});

const registrationOf = (p: Person) => ({
  country: p.country, nationalId: p.sent, fullName: p.fullName, dateOfBirth: p.dateOfBirth,
  citizenship: p.country, employmentStatus: 'employed', incomeGroup: 'middle',
});

const post = (path: string, body: unknown) =>
  request(keyed.app).post(path).set('Authorization', `Bearer ${admin}`).set('Idempotency-Key', randomUUID()).send(body as object);
const get = (path: string) => request(keyed.app).get(path).set('Authorization', `Bearer ${admin}`);

/** Forms of one id to search the logs for: as sent, normalised, and each without its case. */
const idForms = (p: Person) => [...new Set([p.sent, normalise(p.sent), p.sent.toUpperCase(), normalise(p.sent).toLowerCase()])];

describe('personal data in the logs of a realistic run', () => {
  it('when learners are registered, looked up and changed, ids travel in URLs and queries, and SQL fails with their data, then the logs hold no national id, name, birth date or id hash', async () => {
    const requestIds: string[] = [];
    const track = (res: request.Response) => {
      requestIds.push(res.headers['x-request-id'] as string);
      return res;
    };
    const learnerIds = new Map<Person, string>();

    for (const p of people) {
      const res = track(await post('/v1/learners', registrationOf(p)));
      expect(res.status, `${p.label}: ${res.text}`).toBe(201);
      learnerIds.set(p, res.body.id as string);
    }
    for (const p of people) {
      // Looked up as sent, and normalised: the same learner.
      for (const nationalId of [p.sent, normalise(p.sent)]) {
        const res = track(await post('/v1/learners/lookup', { country: p.country, nationalId }));
        expect(res.status, `${p.label}: ${res.text}`).toBe(200);
        expect(res.body.id).toBe(learnerIds.get(p));
      }
      // Registered twice: 409, naming nobody.
      expect(track(await post('/v1/learners', registrationOf(p))).status).toBe(409);
      // A careless client: the id, name and birth date in the URL's path and query.
      const q = new URLSearchParams({ nationalId: p.sent, name: p.fullName, dob: p.dateOfBirth }).toString();
      expect(track(await post(`/v1/learners/lookup?${q}`, { country: p.country, nationalId: p.sent })).status).toBe(200);
      expect(track(await get(`/v1/learners/${encodeURIComponent(p.sent)}?${q}`)).status).toBe(422);
      expect(track(await get(`/v1/ledger/accounts/${encodeURIComponent(normalise(p.sent))}`)).status).toBe(422);
      expect(track(await get(`/v1/nowhere/${normalise(p.sent)}/${encodeURIComponent(p.sent)}?${q}`)).status).toBe(404);
      expect(track(await get(`/v1/courses?q=${encodeURIComponent(p.fullName)}&schemeId=${encodeURIComponent(p.sent)}`)).status).toBe(422);
      const learner = learnerIds.get(p)!;
      expect(track(await get(`/v1/learners/${learner}?nationalId=${encodeURIComponent(p.sent)}`)).status).toBe(200);
    }
    // Refused input that carries an id: a wrong checksum, a wrong country.
    expect(track(await post('/v1/learners/lookup', { country: 'SG', nationalId: `${normalise(people[0]!.sent).slice(0, 8)}Q` })).status).toBe(422);
    expect(track(await post('/v1/learners', { ...registrationOf(people[5]!), country: 'MY' })).status).toBe(422);

    // A database error with personal data in its parameters and detail: the second INSERT breaks the exclusion constraint.
    expect(track(await post('/v1/learners', registrationOf(probe))).status).toBe(201);
    const failed = track(await post('/v1/learners', registrationOf(probeTwin)));
    expect(failed.status, failed.text).toBe(500);
    // An UPDATE whose error message quotes the birth date and whose detail holds the row.
    const renamed = people[10]!;
    const failedUpdate = track(
      await request(keyed.app)
        .patch(`/v1/learners/${learnerIds.get(renamed)}`)
        .set('Authorization', `Bearer ${admin}`)
        .set('Idempotency-Key', randomUUID())
        .send({ fullName: `Renamed ${renamed.fullName}` }),
    );
    expect(failedUpdate.status, failedUpdate.text).toBe(500);

    // Every request has written its completion line.
    await vi.waitFor(
      () => {
        const done = new Set(raw.map((l) => JSON.parse(l) as { req?: { id?: string }; res?: unknown }).filter((l) => l.res).map((l) => l.req?.id));
        expect(requestIds.filter((id) => !done.has(id))).toEqual([]);
      },
      { timeout: 5000 },
    );
    const text = raw.join('');
    const lines = raw.map((l) => JSON.parse(l) as Record<string, unknown>);

    // Nobody's personal data anywhere in the text (soft, so a failure lists every leak).
    const upper = text.toUpperCase();
    for (const p of [...people, probe, probeTwin]) {
      for (const id of idForms(p)) expect.soft(upper, `${p.label}: national id ${id}`).not.toContain(id.toUpperCase());
      // Half the id is already too much (a masked form keeps at most the last four characters).
      expect.soft(upper, `${p.label}: first half of the id`).not.toContain(normalise(p.sent).slice(0, Math.ceil(normalise(p.sent).length / 2)).toUpperCase());
      expect.soft(text, `${p.label}: name`).not.toContain(p.fullName);
      for (const word of p.fullName.split(/[\s-]+/).filter((w) => w.length > 4 && !['Probe', 'binti'].includes(w))) expect.soft(text, `${p.label}: ${word}`).not.toContain(word);
      expect.soft(text, `${p.label}: birth date`).not.toContain(p.dateOfBirth);
      const hash = h.deps.nationalIds.hash(p.country, p.sent);
      expect.soft(text, `${p.label}: HMAC`).not.toContain(hash.toString('hex'));
      expect.soft(text, `${p.label}: HMAC`).not.toContain(hash.toString('base64'));
      expect.soft(text, `${p.label}: HMAC bytes`).not.toContain(JSON.stringify([...hash]).slice(1, 40));
    }
    // No query string in any logged URL.
    for (const l of lines) {
      const url = (l.req as { url?: string } | undefined)?.url;
      if (url !== undefined) expect.soft(url).not.toContain('?');
    }

    // And the log is still useful: the 500s are there, with what an engineer needs to find the cause.
    const errors = lines.filter((l) => l.msg === 'unhandled error');
    expect(errors).toHaveLength(2);
    const [constraintError, triggerError] = errors.map((l) => l.err as Record<string, unknown>);
    expect(constraintError).toMatchObject({ type: 'DrizzleQueryError', cause: { type: 'DatabaseError', code: '23P01', constraint: 'log_privacy_probe', table: 'learners' } });
    expect(String(constraintError!.message)).toMatch(/^Failed query: insert into "learners"/);
    expect((constraintError!.cause as { message: string }).message).toBe('conflicting key value violates exclusion constraint "log_privacy_probe"');
    expect(triggerError).toMatchObject({ cause: { code: 'XX000', message: 'invalid input syntax for type date: "…"' } });
    for (const err of errors.map((l) => l.err as Record<string, unknown>)) {
      for (const layer of [err, err.cause as Record<string, unknown>]) {
        for (const field of ['params', 'parameters', 'query', 'detail', 'hint', 'where', 'internalQuery']) expect(layer, field).not.toHaveProperty(field);
      }
    }
  });
});
