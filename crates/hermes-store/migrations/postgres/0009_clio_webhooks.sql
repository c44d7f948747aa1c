-- Clio webhooks (issue 6); see the SQLite migration for the design.
CREATE TABLE clio_webhooks (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    model       text NOT NULL CHECK (model IN ('contact', 'matter')),
    token_hash  text NOT NULL,
    clio_id     bigint,
    secret      bytea,
    status      text NOT NULL CHECK (status IN ('pending', 'active')),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, model)
);
CREATE UNIQUE INDEX clio_webhooks_by_token ON clio_webhooks (tenant_id, token_hash);

ALTER TABLE clio_webhooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE clio_webhooks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON clio_webhooks
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());
