-- The intake agent (issue 4): one row per conversation. `document` is the
-- intake record (transcript, fields, urgency, conflict, booking) as JSON,
-- rewritten after every turn so a crash loses nothing already said;
-- `conversation` is the dialogue engine's state while the conversation is
-- live (NULL once it has ended). The other columns are copies for filters.
CREATE TABLE intakes (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             BLOB NOT NULL PRIMARY KEY,
    channel        TEXT NOT NULL CHECK (channel IN ('text', 'voice')),
    status         TEXT NOT NULL CHECK (status IN ('in_progress', 'completed', 'abandoned', 'needs_review', 'declined')),
    urgency        TEXT NOT NULL CHECK (urgency IN ('routine', 'soon', 'urgent', 'emergency')),
    practice_area  TEXT,
    caller_name    TEXT,
    document       TEXT NOT NULL,
    conversation   TEXT,
    -- SHA-256 of the secret in the conversation token given to the caller's
    -- client (web chat): without it, a conversation cannot be continued.
    access_hash    TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (tenant_id, id)
) STRICT;
CREATE INDEX intakes_by_status ON intakes (tenant_id, status, id);
CREATE INDEX intakes_by_created ON intakes (tenant_id, created_at);
