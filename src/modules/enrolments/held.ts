/**
 * What a reservation still holds of the learner's credit: its legs whose
 * pending transfer is not yet posted or voided. A modular enrolment's paid
 * modules are no longer held. A leg without `held` was just reserved.
 */
export const heldAmount = (legs: readonly { amount: bigint; held?: boolean }[]): bigint =>
  legs.filter((l) => l.held !== false).reduce((s, l) => s + l.amount, 0n);
