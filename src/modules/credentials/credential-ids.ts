/**
 * How this service names things inside a credential. A provider issues
 * credentials as `urn:learning-credits:provider:<id>` about the learner's
 * pseudonymous subject id (never a national id) and the course's achievement
 * id.
 */
export const issuerIdOf = (providerId: string) => `urn:learning-credits:provider:${providerId}`;
export const achievementIdOf = (courseId: string) => `urn:learning-credits:course:${courseId}`;
