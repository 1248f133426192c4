import { inArray } from 'drizzle-orm';
import type { Db } from '../db/client.js';
import { learners } from '../db/schema/index.js';
import type { DemoUser } from '../web/auth/local-idp.js';
import { readDemoGuide } from './demo-guide.js';
import { learnerSpecs, nationalIdFor, providerSpecs } from './demo.js';

/**
 * The people the demo identity provider signs in: the demo learners (their
 * national ids rebuilt from the seed's rules and their stored dates of birth,
 * so every start has them, not only the first), one staff member per demo
 * provider, two finance officers (four eyes), an administrator and two service-counter officers. The claims
 * are those of OIDC_CLAIMS' defaults. National ids go into ID tokens only,
 * never into a log line.
 */
export async function demoSignInUsers(db: Db, now: Date): Promise<DemoUser[]> {
  const guide = await readDemoGuide(db, now);
  const users: DemoUser[] = [];
  if (guide) {
    const rows = guide.learners.length === 0 ? [] : await db.select({ id: learners.id, dateOfBirth: learners.dateOfBirth, fullName: learners.fullName })
      .from(learners).where(inArray(learners.id, guide.learners.map((l) => l.id)));
    const byId = new Map(rows.map((r) => [r.id, r]));
    // The guide lists the learners in the order the seed created them, the order of learnerSpecs.
    guide.learners.forEach((l, i) => {
      const spec = learnerSpecs[i];
      const row = byId.get(l.id);
      if (!spec || !row) return;
      users.push({
        id: `citizen-${i + 1}`, label: `Citizen ${i + 1}: ${row.fullName ?? ''} (${l.country}, ${l.schemes.join(', ') || 'no credit'})`,
        claims: { role: 'citizen', name: row.fullName ?? '', national_id: nationalIdFor(spec, i, row.dateOfBirth ?? ''), country: l.country },
      });
    });
    for (const p of guide.providers) {
      const spec = providerSpecs.find((s) => s.legalName === p.legalName);
      if (!spec) continue;
      users.push({
        id: `provider-${spec.key}`, label: `Provider staff: ${p.legalName}`,
        claims: { role: 'provider', name: `${p.legalName} staff`, provider_registration: spec.registrationNumber, country: p.country },
      });
    }
  }
  users.push(
    { id: 'finance-1', label: 'Finance officer 1', claims: { role: 'finance', name: 'Finance officer 1' } },
    { id: 'finance-2', label: 'Finance officer 2 (the second pair of eyes)', claims: { role: 'finance', name: 'Finance officer 2' } },
    { id: 'admin', label: 'Administrator', claims: { role: 'admin', name: 'Administrator' } },
    { id: 'counter-1', label: 'Service-counter officer 1 (assisted digital)', claims: { role: 'counter', name: 'Counter officer 1' } },
    { id: 'counter-2', label: 'Service-counter officer 2 (assisted digital)', claims: { role: 'counter', name: 'Counter officer 2' } },
  );
  return users;
}
