-- Platform schema (issue 2): tenants, users, sessions, API keys, audit log.
-- Same tables and columns as the SQLite migration, in PostgreSQL types, plus
-- row-level security on every tenant-owned table.
--
-- Every tenant-owned table leads with tenant_id and references other
-- tenant-owned rows through (tenant_id, id), so no row can point into
-- another firm.

CREATE TABLE tenants (
    id          uuid PRIMARY KEY,
    slug        text NOT NULL UNIQUE,
    name        text NOT NULL,
    time_zone   text NOT NULL,
    created_at  timestamptz NOT NULL,
    audit_seq   bigint NOT NULL DEFAULT 0,
    audit_head  text NOT NULL DEFAULT ''
);

CREATE TABLE users (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL PRIMARY KEY,
    email         text NOT NULL,
    display_name  text NOT NULL,
    role          text NOT NULL CHECK (role IN ('ADMIN', 'ATTORNEY', 'STAFF', 'READ_ONLY')),
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    UNIQUE (tenant_id, email),
    UNIQUE (tenant_id, id)
);

CREATE TABLE refresh_families (
    tenant_id   uuid NOT NULL,
    id          uuid NOT NULL PRIMARY KEY,
    user_id     uuid NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_families_user ON refresh_families (tenant_id, user_id);

CREATE TABLE refresh_tokens (
    tenant_id   uuid NOT NULL,
    token_hash  text NOT NULL PRIMARY KEY,
    family_id   uuid NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    FOREIGN KEY (tenant_id, family_id) REFERENCES refresh_families (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);

CREATE TABLE revoked_tokens (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    jti         text NOT NULL PRIMARY KEY,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX revoked_tokens_tenant ON revoked_tokens (tenant_id, expires_at);

CREATE TABLE api_keys (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL PRIMARY KEY,
    name        text NOT NULL,
    role        text NOT NULL CHECK (role IN ('ADMIN', 'ATTORNEY', 'STAFF', 'READ_ONLY')),
    key_hash    text NOT NULL UNIQUE,
    key_prefix  text NOT NULL,
    created_by  uuid,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz,
    UNIQUE (tenant_id, id)
);

CREATE TABLE audit_log (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq          bigint NOT NULL,
    at           timestamptz NOT NULL,
    actor_type   text NOT NULL,
    actor_id     text,
    action       text NOT NULL,
    target_type  text,
    target_id    text,
    outcome      text NOT NULL,
    ip           text,
    user_agent   text,
    details      text NOT NULL,
    prev_hash    text NOT NULL,
    hash         text NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX audit_log_action ON audit_log (tenant_id, action, seq);

-- Row-level security: the second wall behind the tenant-scoped store.
-- Each transaction binds its tenant with set_config('hermes.tenant_id', $1, true);
-- outside such a transaction the setting is unset or '' and no row matches.
-- FORCE makes the policies apply to the tables' owner too. Superusers and
-- BYPASSRLS roles still bypass them: run HERMES as an ordinary role
-- (HERMES warns at start when it is not).
CREATE FUNCTION hermes_current_tenant() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('hermes.tenant_id', true), '')::uuid $$;

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'refresh_families', 'refresh_tokens',
                             'revoked_tokens', 'api_keys', 'audit_log']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I
                 USING (tenant_id = hermes_current_tenant())
                 WITH CHECK (tenant_id = hermes_current_tenant())', t);
    END LOOP;
END $$;
