-- The lease of each background task (src/db/task-leases.ts), shared by every replica on one database: the process
-- that holds the task's advisory lock starts a run only when the last one started an interval ago or more, so a task
-- runs once per interval across all replicas. The row says who started the last run and whether it finished.
CREATE TABLE "background_task_runs" (
	"task" text PRIMARY KEY NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"started_by" text NOT NULL,
	"finished_at" timestamp with time zone,
	"outcome" text,
	"runs" bigint DEFAULT 1 NOT NULL,
	CONSTRAINT "background_task_runs_outcome_check" CHECK ("outcome" IN ('ok', 'failed'))
);
