import { defineRoute, type AnyRoute } from '../../../http/route.js';
import { actingOf } from '../../acting.js';
import { citizenOf } from '../citizen-of.js';
import type { ServiceDeps } from '../../deps.js';
import { contactBody, contactSchema } from './contact.schemas.js';
import { contactOf, contactView, setContact } from './contact.service.js';

export function contactRoutes(deps: ServiceDeps): AnyRoute[] {
  return [
    defineRoute({
      method: 'get', path: '/v1/learners/me/contact', operationId: 'getMyContact',
      summary: 'My contact details and notice preferences',
      description: 'Where the signed-in citizen\'s notices go (email, SMS), whether each channel is on, and the language they are written in. Before the learner saves any, no address is known and no notice is sent.',
      tags: ['me'], roles: ['citizen'],
      responses: { 200: { description: 'The contact details', schema: contactSchema } },
      handler: async (_input, ctx) => ({ status: 200, body: contactView(await contactOf(ctx.db, citizenOf(ctx))) }),
    }),
    defineRoute({
      method: 'put', path: '/v1/learners/me/contact', operationId: 'setMyContact',
      summary: 'Set my contact details and notice preferences',
      description: 'Replaces the signed-in citizen\'s email address, phone number (E.164, such as +6591234567), notice language (en, ms, id, zh, ta) and which channels are on. A channel turned on needs its address, else 422 names `body.email` or `body.phone`. Notices of events after this call use the new details.',
      tags: ['me'], roles: ['citizen'], body: contactBody, idempotent: true,
      responses: { 200: { description: 'The contact details saved', schema: contactSchema } },
      handler: async ({ body }, ctx) => ({ status: 200, body: contactView(await setContact(deps, ctx.db, citizenOf(ctx), body, actingOf(ctx))) }),
    }),
  ];
}
