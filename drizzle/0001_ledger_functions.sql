-- This migration created the ledger core (ledger_apply, ledger_same_transfer,
-- ledger_create_one, ledger_create_transfers, ledger_expire_pending,
-- ledger_fold_deltas, the ledger_balances view) and the audit hash chains
-- (audit_genesis, audit_digest, audit_append, audit_verify). Their current
-- definitions live beside their owners, in src/ledger/ledger.sql and
-- src/modules/audit/audit.sql, applied after the versioned migrations by
-- src/db/migrate.ts. Only the data change is left here.

-- Frozen copy of audit_genesis (src/modules/audit/audit.sql) as it was when
-- this migration first ran: on a fresh database this runs before the
-- repeatable files, so the genesis hash is written out. audit_verify reports
-- any head that does not match audit_genesis.
INSERT INTO audit_chain_heads (chain, seq, hash)
SELECT c, 0, sha256(convert_to('learning-credits audit chain ' || c::text, 'UTF8')) FROM generate_series(0, 255) AS c;
