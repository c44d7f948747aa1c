-- Clio (issue 6): a firm's connection to its Clio account, and the OAuth
-- authorizations in flight.

-- One row per tenant. `tokens` (access and refresh token) arrive sealed
-- with AES-256-GCM by the API layer; `clio_user` is who the connection
-- acts as (Clio's `who_am_i`) with any warnings found at connect time.
CREATE TABLE clio_connections (
    tenant_id     BLOB NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    region        TEXT NOT NULL CHECK (region IN ('us', 'eu', 'ca', 'au')),
    tokens        BLOB NOT NULL,
    expires_at    TEXT NOT NULL,
    status        TEXT NOT NULL CHECK (status IN ('connected', 'needs_reconnect')),
    clio_user     TEXT NOT NULL,
    connected_by  BLOB NOT NULL,
    connected_at  TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

-- An authorization the firm's admin started: the random `state` sent to
-- Clio, kept as its SHA-256 only, single-use (deleted when taken), short
-- lived, bound to the tenant and the user who started it.
CREATE TABLE oauth_states (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    state_hash  TEXT NOT NULL,
    user_id     BLOB NOT NULL,
    region      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, state_hash)
) STRICT;
