-- Retention of what callers said (issue 8): when a firm's retention period
-- has run out, the words of an intake's transcript are deleted (the
-- extracted fields stay: they are the firm's record). This marks the rows
-- already done, so the hourly sweep reads each intake once.
ALTER TABLE intakes ADD COLUMN transcript_deleted_at TEXT;
CREATE INDEX intakes_transcript_due ON intakes (tenant_id, created_at) WHERE transcript_deleted_at IS NULL;
