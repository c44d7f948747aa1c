-- The intake agent (issue 4), continued; see the SQLite migration.
CREATE TABLE question_sets (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    practice_area  text NOT NULL,
    document       text NOT NULL,
    updated_at     timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, practice_area)
);

ALTER TABLE question_sets ENABLE ROW LEVEL SECURITY;
ALTER TABLE question_sets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON question_sets
    USING (tenant_id = hermes_current_tenant())
    WITH CHECK (tenant_id = hermes_current_tenant());

ALTER TABLE intakes ADD COLUMN version bigint NOT NULL DEFAULT 0;
