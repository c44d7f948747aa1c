-- The intake agent (issue 4); see the SQLite migration for the design.
CREATE TABLE intakes (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid NOT NULL PRIMARY KEY,
    channel        text NOT NULL CHECK (channel IN ('text', 'voice')),
    status         text NOT NULL CHECK (status IN ('in_progress', 'completed', 'abandoned', 'needs_review', 'declined')),
    urgency        text NOT NULL CHECK (urgency IN ('routine', 'soon', 'urgent', 'emergency')),
    practice_area  text,
    caller_name    text,
    document       text NOT NULL,
    conversation   text,
    -- SHA-256 of the secret in the conversation token given to the caller's
    -- client (web chat): without it, a conversation cannot be continued.
    access_hash    text,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE INDEX intakes_by_status ON intakes (tenant_id, status, id);
CREATE INDEX intakes_by_created ON intakes (tenant_id, created_at);

ALTER TABLE intakes ENABLE ROW LEVEL SECURITY;
ALTER TABLE intakes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON intakes
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());
