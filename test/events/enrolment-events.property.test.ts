import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { asCitizen, catalogue } from '../support/catalogue.js';
import { useHarness } from '../support/harness.js';

const h = useHarness();
let world: Awaited<ReturnType<typeof catalogue>>;

beforeAll(async () => {
  world = await catalogue(h);
});

type Action = 'consent' | 'decline' | 'cancel' | 'withdraw';
type Status = 'requested' | 'reserved' | 'declined' | 'withdrawn';

/** What each action does to an enrolment, and the event it records; undefined: refused (409), nothing recorded. */
function model(status: Status, action: Action): { next: Status; event: string } | undefined {
  if (action === 'consent') return status === 'requested' ? { next: 'reserved', event: 'enrolment.consented' } : undefined;
  if (action === 'decline') return status === 'requested' ? { next: 'declined', event: 'enrolment.declined' } : undefined;
  return status === 'requested' || status === 'reserved' ? { next: 'withdrawn', event: 'enrolment.withdrawn' } : undefined;
}

describe('enrolment events under any sequence of answers', () => {
  it('when a learner and a provider act on a request in any order, then each change records exactly its one event and each refusal none', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom<Action>('consent', 'decline', 'cancel', 'withdraw'), { minLength: 1, maxLength: 4 }), async (actions) => {
        const learner = await world.learnerWithCredit('30000');
        const runId = await world.run('10000');
        const requested = await world.asProvider('/v1/enrolments', { learnerId: learner.id, courseRunId: runId });
        expect(requested.status, requested.text).toBe(201);
        const id = requested.body.id as string;
        const expected = ['enrolment.requested'];
        let status: Status = 'requested';
        for (const action of actions) {
          const res = action === 'withdraw'
            ? await world.asProvider(`/v1/enrolments/${id}/withdraw`, { reason: 'the run no longer suits the learner' })
            : await asCitizen(h, learner.token).post(`/v1/me/enrolments/${id}/${action}`);
          const step = model(status, action);
          expect(res.status, `${actions.join(' > ')}: ${action} when ${status}`).toBe(step ? 200 : 409);
          if (step) {
            status = step.next;
            expected.push(step.event);
          }
        }
        const recorded = await h.database.pool.query(`select type, data->>'status' status from outbox_events where subject_id = $1 order by seq`, [id]);
        expect(recorded.rows.map((r) => r.type)).toEqual(expected);
        expect(recorded.rows.at(-1)!.status).toBe(status);
      }),
      { numRuns: 15 },
    );
  });
});
