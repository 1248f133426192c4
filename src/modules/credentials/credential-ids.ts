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

/** The provider an issuer id names (the inverse of issuerIdOf); null when it names none of this service's providers. */
export const providerIdOfIssuer = (issuerId: string): string | null => providerIdPattern.exec(issuerId)?.[1] ?? null;
/** The course an achievement id names (the inverse of achievementIdOf); null when it names none. */
export const courseIdOfAchievement = (achievementId: string): string | null => courseIdPattern.exec(achievementId)?.[1] ?? null;
