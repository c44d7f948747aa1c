-- Clio Grow (issue 6); see the SQLite migration.
CREATE TABLE clio_grow (
    tenant_id   uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    region      text NOT NULL CHECK (region IN ('us', 'eu', 'ca', 'au')),
    token       bytea NOT NULL,
    updated_at  timestamptz NOT NULL
);

ALTER TABLE clio_grow ENABLE ROW LEVEL SECURITY;
ALTER TABLE clio_grow FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON clio_grow
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());
