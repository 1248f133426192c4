import { z } from 'zod';
import { approvalKinds } from '../../modules/approvals/approval-kinds.js';
import { decideApproval, getApproval } from '../../modules/approvals/approvals.service.js';
import { BATCH_RELEASE } from '../../modules/disbursements/disbursements.service.js';
import { definePage, type PageSpec } from '../page.js';
import type { WebDeps } from '../router.js';
import { officerRuns, refusedRedirect, textField } from './forms.js';

/** Where a decided proposal is seen: a batch on its own page, a claim decision in the review queue. */
const pageOf = (a: { kind: string; subjectId: string }) => (a.kind === BATCH_RELEASE ? `/finance/batches/${a.subjectId}` : '/finance/review');

/**
 * A second officer approves or rejects a proposal (a batch release, a review
 * decision) through the one four-eyes service. The pages offer the button only
 * to someone other than the proposer; should the proposer post anyway, the
 * service refuses and the page says why.
 */
export function approvalPages(deps: WebDeps): PageSpec[] {
  const db = deps.services.database.db;
  return (['approve', 'reject'] as const).map((decision) =>
    definePage({
      method: 'post', path: `/finance/approvals/:approvalId/${decision}`, roles: ['finance'],
      async handler(ctx) {
        const approvalId = z.uuid().safeParse(ctx.req.params.approvalId);
        if (!approvalId.success) return { redirect: '/finance/review?refused=not_found', status: 303 };
        const approval = await getApproval(db, approvalId.data).catch(() => undefined);
        if (!approval) return { redirect: '/finance/review?refused=not_found', status: 303 };
        const back = pageOf(approval);
        const note = textField(ctx, 'note').trim();
        if (decision === 'reject' && (note.length < 3 || note.length > 1000)) return { redirect: `${back}?invalid=note`, status: 303 };
        // The same service call and key semantics as POST /v1/approvals/{approvalId}/approve (or /reject).
        const outcome = await officerRuns(deps, ctx, `/v1/approvals/${approval.id}/${decision}`, async (tx, acting) => {
          await decideApproval(deps.services, tx, approvalKinds, approval.id, { decision, note: note === '' ? undefined : note }, acting);
          return {};
        });
        if (!outcome.ok) return refusedRedirect(back, outcome);
        return { redirect: `${back}?done=${decision === 'approve' ? 'approved' : 'rejected'}`, status: 303 };
      },
    }),
  );
}
