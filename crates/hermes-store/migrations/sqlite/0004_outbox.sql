-- Escalation notifications (issue 4): a durable outbox. A job is written in
-- the same transaction as the escalation's audit entry and sent later by a
-- worker, at least once: `pending` → `leased` (by one worker until
-- `lease_until`; an expired lease is taken again, so a node that died
-- mid-send does not lose the job) → `sent`, or back to `pending` with a
-- later `next_attempt_at` after a failure, or `dead` after the last
-- attempt (an admin may retry it). `dedupe_key` makes enqueueing the same
-- escalation twice one job.
CREATE TABLE outbox (
    tenant_id        BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               BLOB NOT NULL PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('sms', 'email')),
    payload          TEXT NOT NULL,
    dedupe_key       TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('pending', 'leased', 'sent', 'dead')),
    attempts         INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  TEXT NOT NULL,
    lease_until      TEXT,
    leased_by        TEXT,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    sent_at          TEXT,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, dedupe_key)
) STRICT;
-- The worker's question: what is due (pending and its time has come, or
-- leased and the lease has run out)?
CREATE INDEX outbox_due ON outbox (tenant_id, status, next_attempt_at);
CREATE INDEX outbox_by_status ON outbox (tenant_id, status, id);
