export * from './ledger.js';
export * from './audit.js';
