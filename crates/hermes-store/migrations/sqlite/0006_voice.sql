-- Voice (issue 5): a firm's telephony settings, its calls and their
-- recordings.

-- One row per tenant. `document` holds what may be shown (provider, phone
-- numbers, speech choices, retention); `secrets` the provider credentials,
-- sealed with AES-256-GCM by the API layer (the store never sees them in
-- the clear, and a database dump alone does not reveal them).
CREATE TABLE voice_settings (
    tenant_id   BLOB NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    document    TEXT NOT NULL,
    secrets     BLOB,
    updated_at  TEXT NOT NULL
) STRICT;

-- A phone call (or a browser test call). `turns` is the per-turn latency
-- breakdown as JSON, written when the call ends.
CREATE TABLE calls (
    tenant_id          BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 BLOB NOT NULL PRIMARY KEY,
    provider           TEXT NOT NULL CHECK (provider IN ('twilio', 'telnyx', 'browser')),
    provider_call_id   TEXT NOT NULL,
    from_number        TEXT,
    to_number          TEXT,
    status             TEXT NOT NULL CHECK (status IN ('ringing', 'in_progress', 'ended')),
    outcome            TEXT,
    recording_consent  INTEGER,
    intake_id          BLOB,
    turns              TEXT NOT NULL DEFAULT '[]',
    started_at         TEXT NOT NULL,
    ended_at           TEXT,
    duration_ms        INTEGER,
    UNIQUE (tenant_id, id),
    UNIQUE (tenant_id, provider, provider_call_id),
    FOREIGN KEY (tenant_id, intake_id) REFERENCES intakes (tenant_id, id)
) STRICT;
CREATE INDEX calls_by_started ON calls (tenant_id, started_at);

-- A call's recording (only with the caller's consent), sealed like the
-- secrets above; deleted at `expires_at` (the firm's retention period).
CREATE TABLE recordings (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    call_id      BLOB NOT NULL,
    format       TEXT NOT NULL,
    sealed       BLOB NOT NULL,
    duration_ms  INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, call_id),
    FOREIGN KEY (tenant_id, call_id) REFERENCES calls (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX recordings_by_expiry ON recordings (expires_at);
