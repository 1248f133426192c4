import { z } from 'zod';
import { notFound } from '../../lib/app-error.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import { available } from '../../ledger/types.js';
import type { ServiceDeps } from '../deps.js';

export const accountBalanceSchema = z
  .object({
    id: z.uuid(),
    kind: z.string(),
    currency: z.string(),
    debitsPending: z.string(),
    debitsPosted: z.string(),
    creditsPending: z.string(),
    creditsPosted: z.string(),
    available: z.string(),
  })
  .meta({ id: 'LedgerAccount' });

export function ledgerRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/ledger/accounts/{accountId}',
      operationId: 'getLedgerAccount',
      summary: 'Balances of one ledger account',
      description: 'One ledger account\'s balances: debits and credits, posted and pending, and what is available. For finance and admin investigating a figure.',
      tags: ['ledger'],
      roles: ['finance', 'admin'],
      params: z.strictObject({ accountId: z.uuid() }),
      responses: { 200: { description: 'The account', schema: accountBalanceSchema } },
      handler: async ({ params }) => {
        const account = await deps.ledger.balance(deps.database.db, params.accountId);
        if (!account) throw notFound('ledger account');
        return { status: 200, body: { ...account, available: available(account) } };
      },
    }),
  ];
}
