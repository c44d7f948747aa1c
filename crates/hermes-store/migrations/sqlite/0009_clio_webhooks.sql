-- Clio webhooks (issue 6): one per firm and model (contacts, matters), so
-- a change in Clio reaches the conflict check within seconds rather than
-- at the next incremental sync. Its URL carries a random token (kept as
-- its SHA-256): the only credential of Clio's unsigned handshake, which
-- may arrive before Clio has even answered the request that created the
-- webhook — so the row is written first, `pending`, and the handshake's
-- `X-Hook-Secret` (sealed) makes it `active`. Every later delivery must be
-- signed with that secret.
CREATE TABLE clio_webhooks (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    model       TEXT NOT NULL CHECK (model IN ('contact', 'matter')),
    token_hash  TEXT NOT NULL,
    clio_id     INTEGER,
    secret      BLOB,
    status      TEXT NOT NULL CHECK (status IN ('pending', 'active')),
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (tenant_id, model)
) STRICT;
CREATE UNIQUE INDEX clio_webhooks_by_token ON clio_webhooks (tenant_id, token_hash);
