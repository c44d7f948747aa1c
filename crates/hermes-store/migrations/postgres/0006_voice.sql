-- Voice (issue 5); see the SQLite migration for the design.
CREATE TABLE voice_settings (
    tenant_id   uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    document    text NOT NULL,
    secrets     bytea,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE calls (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid NOT NULL PRIMARY KEY,
    provider           text NOT NULL CHECK (provider IN ('twilio', 'telnyx', 'browser')),
    provider_call_id   text NOT NULL,
    from_number        text,
    to_number          text,
    status             text NOT NULL CHECK (status IN ('ringing', 'in_progress', 'ended')),
    outcome            text,
    recording_consent  boolean,
    intake_id          uuid,
    turns              text NOT NULL DEFAULT '[]',
    started_at         timestamptz NOT NULL,
    ended_at           timestamptz,
    duration_ms        bigint,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, provider, provider_call_id),
    FOREIGN KEY (tenant_id, intake_id) REFERENCES intakes (tenant_id, id)
);
CREATE INDEX calls_by_started ON calls (tenant_id, started_at);

CREATE TABLE recordings (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id      uuid NOT NULL,
    format       text NOT NULL,
    sealed       bytea NOT NULL,
    duration_ms  bigint NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, call_id),
    FOREIGN KEY (tenant_id, call_id) REFERENCES calls (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX recordings_by_expiry ON recordings (expires_at);

ALTER TABLE voice_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE voice_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON voice_settings
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());
ALTER TABLE calls ENABLE ROW LEVEL SECURITY;
ALTER TABLE calls FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON calls
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());
ALTER TABLE recordings ENABLE ROW LEVEL SECURITY;
ALTER TABLE recordings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON recordings
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());
