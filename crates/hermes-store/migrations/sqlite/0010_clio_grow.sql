-- Clio Grow (issue 6): for firms on Grow rather than Manage, each finished
-- intake is posted to the firm's Grow lead inbox with its inbox lead token
-- (sealed: it is the credential that lets anyone post leads to the firm).
CREATE TABLE clio_grow (
    tenant_id   BLOB NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    region      TEXT NOT NULL CHECK (region IN ('us', 'eu', 'ca', 'au')),
    token       BLOB NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;
