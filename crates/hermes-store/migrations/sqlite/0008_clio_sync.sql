-- Clio sync (issue 6). Each finished intake is pushed to the firm's Clio
-- account by an outbox job of the new kind `clio` (so it inherits the
-- outbox's leases, backoff, dead letters and admin retry), enqueued in the
-- same transaction as the intake's final save: an intake, once finished,
-- cannot be lost to a crash before its sync is queued.
--
-- SQLite cannot alter a CHECK constraint: the outbox is rebuilt with the
-- wider one (same columns, same indexes, rows copied).
CREATE TABLE outbox_new (
    tenant_id        BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               BLOB NOT NULL PRIMARY KEY,
    kind             TEXT NOT NULL CHECK (kind IN ('sms', 'email', 'clio')),
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
INSERT INTO outbox_new SELECT tenant_id, id, kind, payload, dedupe_key, status, attempts,
    next_attempt_at, lease_until, leased_by, last_error, created_at, updated_at, sent_at
    FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;
CREATE INDEX outbox_due ON outbox (tenant_id, status, next_attempt_at);
CREATE INDEX outbox_by_status ON outbox (tenant_id, status, id);

-- One row per intake and step (contact, matter, calendar entry, note,
-- communication, task): what the sync has done in Clio, so a retried job
-- resumes after the last step recorded, and the intake can show its
-- status step by step. `clio_id` is the record the step created or found.
-- A step whose request reached Clio but whose result was never recorded
-- (a crash, a timeout) is found again in Clio by its HERMES reference
-- before anything is created: nothing is created twice.
CREATE TABLE clio_sync_steps (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    intake_id   BLOB NOT NULL,
    step        TEXT NOT NULL CHECK (step IN ('contact', 'matter', 'calendar_entry', 'note', 'communication', 'task')),
    status      TEXT NOT NULL CHECK (status IN ('done', 'skipped', 'failed')),
    clio_id     INTEGER,
    detail      TEXT,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, intake_id, step),
    FOREIGN KEY (tenant_id, intake_id) REFERENCES intakes (tenant_id, id) ON DELETE CASCADE
) STRICT;

-- The firm's Clio records the conflict check needs (contacts, matters,
-- relationships), mirrored as Clio sends them: a full sync fills it, an
-- incremental one (`updated_since`) and webhooks change it record by
-- record, and the Clio-sourced parties are derived from it (who is a
-- client of an open matter, a former client, an opposing party…), so a
-- change to one matter re-derives its people without a full download.
CREATE TABLE clio_mirror (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('contact', 'matter', 'relationship')),
    clio_id     INTEGER NOT NULL,
    data        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, kind, clio_id)
) STRICT;

-- Where the firm's mirror stands: the last full and incremental syncs
-- (an incremental one asks for what changed since the last one began).
CREATE TABLE clio_index_state (
    tenant_id        BLOB NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    full_synced_at   TEXT,
    synced_since     TEXT,
    updated_at       TEXT NOT NULL
) STRICT;
