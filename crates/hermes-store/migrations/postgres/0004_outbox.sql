-- Escalation notifications (issue 4): a durable outbox; see the SQLite
-- migration for the design.
CREATE TABLE outbox (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('sms', 'email')),
    payload          text NOT NULL,
    dedupe_key       text NOT NULL,
    status           text NOT NULL CHECK (status IN ('pending', 'leased', 'sent', 'dead')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL,
    lease_until      timestamptz,
    leased_by        text,
    last_error       text,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    sent_at          timestamptz,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, dedupe_key)
);
CREATE INDEX outbox_due ON outbox (tenant_id, status, next_attempt_at);
CREATE INDEX outbox_by_status ON outbox (tenant_id, status, id);

ALTER TABLE outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON outbox
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());
