-- A reversed claim takes back its learner's completion incentive while it has
-- not been paid out: the incentive becomes `reversed` (its money, if it had
-- accrued, goes back from the learner's payable to the incentive budget).
ALTER TABLE "incentives" DROP CONSTRAINT "incentives_status";--> statement-breakpoint
ALTER TABLE "incentives" ADD CONSTRAINT "incentives_status" CHECK ("incentives"."status" in ('accrued', 'held', 'reversed'));
