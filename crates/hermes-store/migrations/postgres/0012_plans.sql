-- Plans and metering (issue 8); see the SQLite migration.
ALTER TABLE tenants ADD COLUMN plan text NOT NULL DEFAULT 'professional'
    CHECK (plan IN ('free', 'professional', 'enterprise'));

CREATE TABLE usage_meters (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month      text NOT NULL,
    calls      bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, month)
);

ALTER TABLE usage_meters ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_meters FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_meters
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());

ALTER TABLE calls ADD COLUMN month_ordinal bigint;
