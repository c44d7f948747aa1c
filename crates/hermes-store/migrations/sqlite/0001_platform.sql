-- Platform schema (issue 2): tenants, users, sessions, API keys, audit log.
-- Ids are UUIDs (16-byte BLOBs here, uuid on PostgreSQL); times are
-- RFC 3339 text written by sqlx (timestamptz on PostgreSQL).
-- Every tenant-owned table leads with tenant_id and references other
-- tenant-owned rows through (tenant_id, id), so no row can point into
-- another firm.

CREATE TABLE tenants (
    id          BLOB PRIMARY KEY,
    slug        TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    -- Head of the audit hash chain: newest sequence number and its hash.
    audit_seq   INTEGER NOT NULL DEFAULT 0,
    audit_head  TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE users (
    tenant_id     BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            BLOB NOT NULL PRIMARY KEY,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('ADMIN', 'ATTORNEY', 'STAFF', 'READ_ONLY')),
    password_hash TEXT NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (tenant_id, email),
    UNIQUE (tenant_id, id)
) STRICT;

-- One row per login; every refresh token descends from one.
CREATE TABLE refresh_families (
    tenant_id   BLOB NOT NULL,
    id          BLOB NOT NULL PRIMARY KEY,
    user_id     BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    UNIQUE (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX refresh_families_user ON refresh_families (tenant_id, user_id);

CREATE TABLE refresh_tokens (
    tenant_id   BLOB NOT NULL,
    token_hash  TEXT NOT NULL PRIMARY KEY,
    family_id   BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT,
    FOREIGN KEY (tenant_id, family_id) REFERENCES refresh_families (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);

-- Access tokens revoked before their expiry (logout).
CREATE TABLE revoked_tokens (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    jti         TEXT NOT NULL PRIMARY KEY,
    expires_at  TEXT NOT NULL
) STRICT;
CREATE INDEX revoked_tokens_tenant ON revoked_tokens (tenant_id, expires_at);

CREATE TABLE api_keys (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          BLOB NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('ADMIN', 'ATTORNEY', 'STAFF', 'READ_ONLY')),
    key_hash    TEXT NOT NULL UNIQUE,
    key_prefix  TEXT NOT NULL,
    created_by  BLOB,
    created_at  TEXT NOT NULL,
    revoked_at  TEXT,
    UNIQUE (tenant_id, id)
) STRICT;

CREATE TABLE audit_log (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    at           TEXT NOT NULL,
    actor_type   TEXT NOT NULL,
    actor_id     TEXT,
    action       TEXT NOT NULL,
    target_type  TEXT,
    target_id    TEXT,
    outcome      TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    details      TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    PRIMARY KEY (tenant_id, seq)
) STRICT;
CREATE INDEX audit_log_action ON audit_log (tenant_id, action, seq);
