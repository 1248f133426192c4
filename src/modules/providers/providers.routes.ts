import { actingOf } from '../acting.js';
import { defineRoute, type AnyRoute } from '../../http/route.js';
import { approvalRef, approvalRefSchema } from '../approvals/approvals.schemas.js';
import type { ServiceDeps } from '../deps.js';
import type { BankAccount } from './bank-account.js';
import {
  payeeChangeSchema,
  newProviderKeySchema,
  newProviderSchema,
  providerIdParams,
  providerKeyListSchema,
  providerKeyParams,
  providerKeySchema,
  providerListQuerySchema,
  providerPageSchema,
  providerSchema,
  providerSelfUpdateSchema,
  providerUpdateSchema,
} from './providers.schemas.js';
import { proposePayeeChange } from './payee-change.js';
import { ownProviderId, providersService, type ProviderKeyRow, type ProviderRow } from './providers.service.js';

const toProvider = (p: ProviderRow) => ({
  id: p.id,
  legalName: p.legalName,
  registrationNumber: p.registrationNumber,
  country: p.country,
  status: p.status,
  contactEmail: p.contactEmail,
  bankAccount: p.bankAccount as BankAccount,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

const toKey = (k: ProviderKeyRow) => ({
  id: k.id,
  providerId: k.providerId,
  kid: k.kid,
  alg: k.alg,
  publicJwk: k.publicJwk,
  status: k.status,
  createdAt: k.createdAt.toISOString(),
  deactivatedAt: k.deactivatedAt?.toISOString() ?? null,
});

const selfServiceNote =
  'A provider may change only its contact email here. Bank details, legal name and status change only through an administrator ' +
  '(PATCH /v1/providers/{providerId}): a stolen provider credential must not be able to redirect payments.';

export function providerRoutes(deps: ServiceDeps): AnyRoute[] {
  const service = providersService(deps);
  const tags = ['providers'];
  // The /me routes come before /{providerId} so that "me" is never read as an id.
  return [
    defineRoute({
      method: 'post',
      path: '/v1/providers',
      operationId: 'createProvider',
      summary: 'Onboard a training provider',
      description: 'Registers a provider with the bank account it is paid to. SG, ID and MY accounts use bankCode and accountNumber; elsewhere an IBAN (mod-97 checked) and BIC.',
      tags,
      roles: ['admin'],
      idempotent: true,
      body: newProviderSchema,
      responses: { 201: { description: 'The provider', schema: providerSchema, headers: ['Location'] } },
      handler: async ({ body }, ctx) => {
        const provider = await service.create(ctx, body);
        return { status: 201, body: toProvider(provider), headers: { Location: `/v1/providers/${provider.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/providers',
      operationId: 'listProviders',
      summary: 'Providers, oldest first, optionally by status',
      description: 'Providers, optionally only those of one status, for finance and admin. Paged with `cursor` and `limit`.',
      tags,
      roles: ['admin', 'finance'],
      query: providerListQuerySchema,
      responses: { 200: { description: 'A page of providers', schema: providerPageSchema } },
      handler: async ({ query }, ctx) => {
        const page = await service.list(ctx.db, query);
        return { status: 200, body: { items: page.items.map(toProvider), nextCursor: page.nextCursor } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/providers/me',
      operationId: 'getOwnProvider',
      summary: "The calling provider's own record",
      description: 'The signed-in provider\'s own record: registration, status and the bank account payments go to (masked).',
      tags,
      roles: ['provider'],
      responses: { 200: { description: 'The provider', schema: providerSchema } },
      handler: async (_input, ctx) => ({ status: 200, body: toProvider(await service.getProvider(ctx.db, ownProviderId(ctx))) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/providers/me',
      operationId: 'updateOwnProvider',
      summary: "Change the calling provider's contact email",
      description: selfServiceNote,
      tags,
      roles: ['provider'],
      idempotent: true,
      body: providerSelfUpdateSchema,
      responses: { 200: { description: 'The provider', schema: providerSchema } },
      handler: async ({ body }, ctx) => ({
        status: 200,
        body: toProvider(await service.updateOwnContact(ctx, ownProviderId(ctx), body.contactEmail)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/providers/me/keys',
      operationId: 'listOwnProviderKeys',
      summary: "The calling provider's registered signing keys",
      description: 'The signed-in provider\'s credential-signing public keys, active and deactivated.',
      tags,
      roles: ['provider'],
      responses: { 200: { description: 'Signing keys, active and deactivated', schema: providerKeyListSchema } },
      handler: async (_input, ctx) => ({
        status: 200,
        body: { items: (await service.listKeys(ctx.db, ownProviderId(ctx))).map(toKey) },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/providers/{providerId}',
      operationId: 'getProvider',
      summary: 'One provider',
      description: 'One provider\'s record, for finance and admin.',
      tags,
      roles: ['admin', 'finance'],
      params: providerIdParams,
      responses: { 200: { description: 'The provider', schema: providerSchema } },
      handler: async ({ params }, ctx) => ({ status: 200, body: toProvider(await service.getProvider(ctx.db, params.providerId)) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/providers/{providerId}',
      operationId: 'updateProvider',
      summary: "Change a provider's contact or status",
      description:
        "Suspending requires a reason, kept in the audit trail; a suspended provider's approved claims stay out of every new batch until it is reinstated. Payee details (legal name, bank account) change only by a proposal: POST /v1/providers/{providerId}/payee-changes.",
      tags,
      roles: ['admin'],
      idempotent: true,
      params: providerIdParams,
      body: providerUpdateSchema,
      responses: { 200: { description: 'The provider', schema: providerSchema } },
      handler: async ({ params, body }, ctx) => ({ status: 200, body: toProvider(await service.update(ctx, params.providerId, body)) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/providers/{providerId}/payee-changes',
      operationId: 'proposePayeeChange',
      summary: "Propose a new payee name or bank account: a second administrator must approve it",
      description:
        'Four eyes: the old payee stays in force until another administrator approves the returned proposal at POST /v1/approvals/{approvalId}/approve. The audit trail records both accounts masked and both administrators.',
      tags,
      roles: ['admin'],
      idempotent: true,
      params: providerIdParams,
      body: payeeChangeSchema,
      responses: { 202: { description: 'Proposed', schema: approvalRefSchema } },
      handler: async ({ params, body }, ctx) => ({
        status: 202,
        body: approvalRef(await proposePayeeChange(deps, ctx.db, params.providerId, body, actingOf(ctx))),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/providers/{providerId}/keys',
      operationId: 'registerProviderKey',
      summary: 'Register a public key that verifies the credentials a provider issues',
      description:
        'Accepts only public Ed25519 (EdDSA) or P-256 (ES256) JWKs. Only the public members are stored; the kid defaults to the RFC 7638 thumbprint.',
      tags,
      roles: ['admin'],
      idempotent: true,
      params: providerIdParams,
      body: newProviderKeySchema,
      responses: { 201: { description: 'The registered key', schema: providerKeySchema } },
      handler: async ({ params, body }, ctx) => ({ status: 201, body: toKey(await service.addKey(ctx, params.providerId, body.jwk)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/providers/{providerId}/keys',
      operationId: 'listProviderKeys',
      summary: "A provider's signing keys",
      description: 'A provider\'s credential-signing public keys, active and deactivated, for an admin.',
      tags,
      roles: ['admin'],
      params: providerIdParams,
      responses: { 200: { description: 'Signing keys, active and deactivated', schema: providerKeyListSchema } },
      handler: async ({ params }, ctx) => ({
        status: 200,
        body: { items: (await service.listKeys(ctx.db, params.providerId)).map(toKey) },
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/providers/{providerId}/keys/{keyId}/deactivate',
      operationId: 'deactivateProviderKey',
      summary: 'Stop accepting credentials signed with a key',
      description: 'Admins deactivate a provider\'s signing key, for example when it leaked: credentials signed with it are refused from then on. Refused with 409 `invalid_state` when it is already deactivated.',
      tags,
      roles: ['admin'],
      idempotent: true,
      params: providerKeyParams,
      responses: { 200: { description: 'The deactivated key', schema: providerKeySchema } },
      handler: async ({ params }, ctx) => ({
        status: 200,
        body: toKey(await service.deactivateKey(ctx, params.providerId, params.keyId)),
      }),
    }),
  ];
}
