-- Rate-limit counters shared by every replica (src/http/rate-limits.ts, rate-limiter-flexible's RateLimiterPostgres).
-- One row per limit and key ("eligibility:provider:<id>", "failedAuth:<address>"): points counted in the window
-- that ends at `expire` (milliseconds since the epoch, the library's own representation). Rows expired an hour ago
-- are deleted by the library every 5 minutes.
CREATE TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"points" integer DEFAULT 0 NOT NULL,
	"expire" bigint
);
