import { randomUUID } from 'node:crypto';
import type { Role } from '../../src/lib/principal.js';
import type { AnyRoute } from '../../src/http/route.js';
import type { Harness } from '../support/harness.js';

/** An OpenAPI path with every {param} replaced by a fresh random UUID. */
export const concretePath = (route: AnyRoute): string => route.path.replace(/\{(\w+)\}/g, () => randomUUID());

export const describeRoute = (route: AnyRoute): string => `${route.method.toUpperCase()} ${route.path}`;

/** A valid token for the role, with random tenancy ids where the role needs them. */
export function tokenFor(h: Harness, role: Role): Promise<string> {
  if (role === 'citizen') return h.token('citizen', { learnerId: randomUUID() });
  if (role === 'provider') return h.token('provider', { providerId: randomUUID() });
  return h.token(role);
}

/** The role a test should use to get past the role check: staff before tenants. */
export function allowedRole(route: AnyRoute): Role {
  const preference: Role[] = ['finance', 'admin', 'provider', 'citizen', 'analyst', 'counter'];
  const role = preference.find((r) => route.roles.includes(r));
  if (!role) throw new Error(`${describeRoute(route)} allows no role`);
  return role;
}

/**
 * Routes that take a JSON body for which `{}` is invalid with field-level
 * issues, so a test can predict exactly which fields a 422 must name.
 * POST /v1/schemes first when it exists.
 */
export function jsonBodyRoutes(routes: AnyRoute[]): AnyRoute[] {
  return routes
    .filter((r) => r.body && (r.bodyContentType ?? 'application/json') === 'application/json')
    .filter((r) => {
      const parsed = r.body!.safeParse({});
      return !parsed.success && parsed.error.issues.some((i) => i.path.length > 0);
    })
    .sort((a, b) => Number(describeRoute(b) === 'POST /v1/schemes') - Number(describeRoute(a) === 'POST /v1/schemes'));
}

export interface Mounted {
  method: string;
  path: string;
}

/** Every route and path-scoped middleware Express has, walking into nested routers. */
export function mountedRoutes(stack: unknown[], prefix = ''): { routes: Mounted[]; scoped: string[] } {
  const routes: Mounted[] = [];
  const scoped: string[] = [];
  for (const layer of stack as {
    route?: { path: string; methods: Record<string, boolean> };
    rawPath?: unknown;
    handle?: { stack?: unknown[] };
  }[]) {
    if (layer.route) {
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on && method !== '_all') routes.push({ method, path: `${prefix}${layer.route.path}` });
      }
      if (layer.route.methods._all) routes.push({ method: 'all', path: `${prefix}${layer.route.path}` });
      continue;
    }
    const raw = typeof layer.rawPath === 'string' ? layer.rawPath : String(layer.rawPath);
    const here = raw === '/' ? prefix : `${prefix}${raw}`;
    if (Array.isArray(layer.handle?.stack)) {
      const inner = mountedRoutes(layer.handle.stack, here);
      routes.push(...inner.routes);
      scoped.push(...inner.scoped);
    } else if (here !== '') {
      scoped.push(here);
    }
  }
  return { routes, scoped };
}
