-- Attorneys' time taken elsewhere (their Clio calendars); see the SQLite
-- migration.
CREATE TABLE external_busy (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    attorney_id  uuid NOT NULL,
    source       text NOT NULL CHECK (source IN ('clio')),
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    FOREIGN KEY (tenant_id, attorney_id) REFERENCES attorneys (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX external_busy_by_time ON external_busy (tenant_id, starts_at);

ALTER TABLE external_busy ENABLE ROW LEVEL SECURITY;
ALTER TABLE external_busy FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON external_busy
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());
