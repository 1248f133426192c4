/**
 * How this service names things inside a credential. A provider issues
 * credentials as `urn:learning-credits:provider:<id>` about the learner's
 * pseudonymous subject id (never a national id) and the course's achievement
 * id.
 */
export const issuerIdOf = (providerId: string) => `urn:learning-credits:provider:${providerId}`;
export const achievementIdOf = (courseId: string) => `urn:learning-credits:course:${courseId}`;

const uuidPattern = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const providerIdPattern = new RegExp(`^urn:learning-credits:provider:(${uuidPattern})$`);
const courseIdPattern = new RegExp(`^urn:learning-credits:course:(${uuidPattern})$`);
const schemeIdPattern = new RegExp(`^urn:learning-credits:scheme:(${uuidPattern})$`);
const pathwayIdPattern = new RegExp(`^urn:learning-credits:pathway:(${uuidPattern})$`);

/** The provider an issuer id names (the inverse of issuerIdOf); null when it names none of this service's providers. */
export const providerIdOfIssuer = (issuerId: string): string | null => providerIdPattern.exec(issuerId)?.[1] ?? null;
/** The course an achievement id names (the inverse of achievementIdOf); null when it names none. */
export const courseIdOfAchievement = (achievementId: string): string | null => courseIdPattern.exec(achievementId)?.[1] ?? null;

/**
 * What the service itself issues, for a stacked pathway: the scheme is the
 * issuer (signing with the scheme's key), the pathway the achievement, and
 * the scheme's Bitstring Status List the revocation list. The status list's
 * id is a URN the service resolves at GET /v1/public/schemes/{schemeId}/status-list.
 */
export const schemeIssuerIdOf = (schemeId: string) => `urn:learning-credits:scheme:${schemeId}`;
export const pathwayAchievementIdOf = (pathwayId: string) => `urn:learning-credits:pathway:${pathwayId}`;
export const statusListIdOf = (schemeId: string) => `urn:learning-credits:scheme:${schemeId}:status-list:revocation`;

/** The scheme id in a scheme issuer id, or undefined when it is not one. */
export function schemeIdOfIssuer(issuerId: string): string | undefined {
  return schemeIdPattern.exec(issuerId)?.[1];
}

/** The pathway id in a pathway achievement id, or undefined when it is not one. */
export function pathwayIdOfAchievement(achievementId: string): string | undefined {
  return pathwayIdPattern.exec(achievementId)?.[1];
}
