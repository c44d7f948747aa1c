-- Clio sync (issue 6): the outbox takes jobs of kind `clio`, and each
-- intake's steps are recorded; see the SQLite migration for the design.
ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ('sms', 'email', 'clio'));

CREATE TABLE clio_sync_steps (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    intake_id   uuid NOT NULL,
    step        text NOT NULL CHECK (step IN ('contact', 'matter', 'calendar_entry', 'note', 'communication', 'task')),
    status      text NOT NULL CHECK (status IN ('done', 'skipped', 'failed')),
    clio_id     bigint,
    detail      text,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, intake_id, step),
    FOREIGN KEY (tenant_id, intake_id) REFERENCES intakes (tenant_id, id) ON DELETE CASCADE
);

ALTER TABLE clio_sync_steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE clio_sync_steps FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON clio_sync_steps
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());

CREATE TABLE clio_mirror (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('contact', 'matter', 'relationship')),
    clio_id     bigint NOT NULL,
    data        text NOT NULL,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, kind, clio_id)
);

CREATE TABLE clio_index_state (
    tenant_id        uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    full_synced_at   timestamptz,
    synced_since     timestamptz,
    updated_at       timestamptz NOT NULL
);

ALTER TABLE clio_mirror ENABLE ROW LEVEL SECURITY;
ALTER TABLE clio_mirror FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON clio_mirror
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());
ALTER TABLE clio_index_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE clio_index_state FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON clio_index_state
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());
