/** The rate-limit policy: which limits exist and how many calls each allows (src/http/rate-limits.ts counts them). */

/** Limits a route declares (RouteSpec.rateLimit), counted per caller: a provider, a learner, or a staff subject. */
export type CallerRateLimit = 'eligibility' | 'learnerLookup';
/** Limits a public route declares (PublicRouteSpec.rateLimit), counted per client address: nobody signed in. */
export type AddressRateLimit = 'publicVerify';
/** Every limit: the per-caller ones, the per-address ones of public routes, and failed authentications per client address. */
export type RateLimitName = CallerRateLimit | AddressRateLimit | 'failedAuth';

/** At most `points` counted requests in each window of `windowSeconds`. 0 points: no limit. */
export interface RateLimit {
  points: number;
  windowSeconds: number;
}
export type RateLimits = Record<RateLimitName, RateLimit>;

export const perMinute = (points: number): RateLimit => ({ points, windowSeconds: 60 });

export const defaultRateLimits: RateLimits = {
  eligibility: perMinute(60),
  learnerLookup: perMinute(30),
  failedAuth: perMinute(20),
  publicVerify: perMinute(30),
};

/** Nothing counted: for tests that are not about limits. */
export const noRateLimits: RateLimits = { eligibility: perMinute(0), learnerLookup: perMinute(0), failedAuth: perMinute(0), publicVerify: perMinute(0) };

/** The limits of the RATE_LIMIT_* variables (see config.ts). */
export const rateLimitsFromConfig = (c: {
  RATE_LIMIT_ELIGIBILITY_PER_MINUTE: number;
  RATE_LIMIT_LEARNER_LOOKUP_PER_MINUTE: number;
  RATE_LIMIT_FAILED_AUTH_PER_MINUTE: number;
  RATE_LIMIT_PUBLIC_VERIFY_PER_MINUTE: number;
}): RateLimits => ({
  eligibility: perMinute(c.RATE_LIMIT_ELIGIBILITY_PER_MINUTE),
  learnerLookup: perMinute(c.RATE_LIMIT_LEARNER_LOOKUP_PER_MINUTE),
  failedAuth: perMinute(c.RATE_LIMIT_FAILED_AUTH_PER_MINUTE),
  publicVerify: perMinute(c.RATE_LIMIT_PUBLIC_VERIFY_PER_MINUTE),
});
