export * from './ledger.js';
export * from './audit.js';
export * from './entitlements.js';
export * from './enrolments.js';
export * from './claims.js';
export * from './finance.js';
export * from './approvals.js';
export * from './recoveries.js';
