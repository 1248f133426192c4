import { defineRoute, type AnyRoute } from '../../../http/route.js';
import { actingOf } from '../../acting.js';
import { citizenOf } from '../citizen-of.js';
import { approvalRef } from '../../approvals/approvals.schemas.js';
import type { ServiceDeps } from '../../deps.js';
import { learnerIdParams } from '../learners.schemas.js';
import { payeeAccountBody, payeeAccountStateSchema } from './payee-account.schemas.js';
import { payeeAccountState, payeeAccountView, registerPayeeAccount, type PayeeAccountState } from './payee-account.service.js';

const stateView = (s: PayeeAccountState) => ({
  active: s.active ? payeeAccountView(s.active) : null,
  proposed: s.proposed ? payeeAccountView(s.proposed) : null,
  ...(s.approval ? { approval: approvalRef(s.approval) } : {}),
});


const how = 'The account must be in the learner\'s own registered name (compared without accents, case or punctuation), else 422 names `body.accountName`. The learner\'s own first account (PUT /v1/learners/me/payee-account) is in force at once. An account an administrator records, and any change, is proposed: the current account stays in force until a finance officer or administrator other than the proposer approves it (POST /v1/approvals/{approvalId}/approve); a second change while one waits is 409 `conflict`. Account numbers are shown masked.';

export function payeeAccountRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'put', path: '/v1/learners/me/payee-account', operationId: 'registerMyPayeeAccount',
      summary: 'Register or change the bank account or e-wallet my incentives are paid to',
      description: `A citizen registers where their completion incentives are paid: a bank account (IBAN and BIC, or a domestic bank code and account number) or an e-wallet (provider and phone or account id). ${how}`,
      tags: ['me'], roles: ['citizen'], body: payeeAccountBody, idempotent: true,
      responses: { 200: { description: 'The account in force, and the change waiting for approval if any', schema: payeeAccountStateSchema } },
      handler: async ({ body }, ctx) => ({ status: 200, body: stateView(await registerPayeeAccount(deps, ctx.db, citizenOf(ctx), body, actingOf(ctx))) }),
    }),
    defineRoute({
      method: 'get', path: '/v1/learners/me/payee-account', operationId: 'getMyPayeeAccount',
      summary: 'The account my incentives are paid to, masked',
      description: 'The signed-in citizen\'s payee account in force and any change waiting for approval, account numbers masked.',
      tags: ['me'], roles: ['citizen'],
      responses: { 200: { description: 'The payee account', schema: payeeAccountStateSchema } },
      handler: async (_input, ctx) => ({ status: 200, body: stateView(await payeeAccountState(ctx.db, citizenOf(ctx))) }),
    }),
    defineRoute({
      method: 'put', path: '/v1/learners/{learnerId}/payee-account', operationId: 'registerLearnerPayeeAccount',
      summary: 'Record a learner\'s payee account for them (takes a second officer)',
      description: `An administrator records the account a learner gives in person or in writing. ${how}`,
      tags: ['learners'], roles: ['admin'], params: learnerIdParams, body: payeeAccountBody, idempotent: true,
      responses: { 200: { description: 'The account in force, and the change waiting for approval if any', schema: payeeAccountStateSchema } },
      handler: async ({ params, body }, ctx) => ({ status: 200, body: stateView(await registerPayeeAccount(deps, ctx.db, params.learnerId, body, actingOf(ctx))) }),
    }),
  ];
}
