-- 0008: history is kept (issue 15; docs/protocol.md, "Sessions that leave the machine").
-- A session whose log disappeared from its machine stays, complete, marked with the time the
-- machine reported it gone. Only a user's request, or the mirror opt-in, makes a tombstone, and
-- the tombstone records which.
ALTER TABLE sessions ADD COLUMN gone_locally_at timestamptz;
ALTER TABLE sessions ADD COLUMN deleted_by text CHECK (deleted_by IN ('user', 'mirror', 'legacy'));
-- deleted_by is meaningful only while deleted_at is set (a push that restores a tombstone clears
-- deleted_at and leaves it).

-- Every tombstone made before this migration came from a log file that disappeared: clients
-- sent deletes for nothing else. Their messages and tool calls were removed then; the server
-- has nothing to bring back, so they stay tombstones, marked 'legacy' (av-client status counts
-- them) and gone since their deletion. A push of a log that still exists somewhere (an
-- agentsview database, a backup put back in place) restores such a session, as it always did.
UPDATE sessions SET deleted_by = 'legacy', gone_locally_at = deleted_at WHERE deleted_at IS NOT NULL;
