-- Clio (issue 6): a firm's connection and the OAuth authorizations in
-- flight; see the SQLite migration for the design.
CREATE TABLE clio_connections (
    tenant_id     uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    region        text NOT NULL CHECK (region IN ('us', 'eu', 'ca', 'au')),
    tokens        bytea NOT NULL,
    expires_at    timestamptz NOT NULL,
    status        text NOT NULL CHECK (status IN ('connected', 'needs_reconnect')),
    clio_user     text NOT NULL,
    connected_by  uuid NOT NULL,
    connected_at  timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE oauth_states (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    state_hash  text NOT NULL,
    user_id     uuid NOT NULL,
    region      text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, state_hash)
);

ALTER TABLE clio_connections ENABLE ROW LEVEL SECURITY;
ALTER TABLE clio_connections FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON clio_connections
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());
ALTER TABLE oauth_states ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_states FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON oauth_states
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());
