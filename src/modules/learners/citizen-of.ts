import type { RouteContext } from '../../http/route.js';
import { notFound } from '../../lib/app-error.js';

/** The signed-in citizen's learner id, for routes about "me"; anyone else finds no such learner. */
export const citizenOf = (ctx: RouteContext): string => {
  if (ctx.principal.role !== 'citizen') throw notFound('learner');
  return ctx.principal.learnerId;
};
