-- Firm setup (issue 3): settings documents, attorneys, the parties index,
-- conflict reviews, and holds/bookings. Same tables as the SQLite migration.

-- btree_gist lets the exclusion constraint on bookings compare uuids with =
-- beside a range with &&. It is a trusted extension (PostgreSQL 13+): the
-- database owner may create it without being a superuser.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE firm_settings (
    tenant_id       uuid NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    profile         text,
    hours           text,
    practice_areas  text,
    escalation      text,
    updated_at      timestamptz NOT NULL
);

CREATE TABLE attorneys (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL PRIMARY KEY,
    document    text NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    UNIQUE (tenant_id, id)
);

CREATE TABLE parties (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid NOT NULL PRIMARY KEY,
    kind           text NOT NULL CHECK (kind IN ('person', 'organization')),
    name           text NOT NULL,
    aliases        text NOT NULL,
    role           text NOT NULL CHECK (role IN ('client', 'former_client', 'adverse_party',
                                                 'related_party', 'opposing_counsel', 'prospective_client')),
    date_of_birth  date,
    phones         text NOT NULL,
    emails         text NOT NULL,
    matter_ref     text,
    matter_status  text CHECK (matter_status IN ('open', 'pending', 'closed')),
    source         text NOT NULL CHECK (source IN ('manual', 'csv_import', 'intake', 'clio')),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    UNIQUE (tenant_id, id)
);
CREATE INDEX parties_by_name ON parties (tenant_id, name);

CREATE TABLE conflict_reviews (
    tenant_id      uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             uuid NOT NULL PRIMARY KEY,
    status         text NOT NULL CHECK (status IN ('open', 'cleared', 'declined')),
    severity       text NOT NULL CHECK (severity IN ('potential', 'conflict')),
    subject        text NOT NULL,
    request        text NOT NULL,
    hits           text NOT NULL,
    created_at     timestamptz NOT NULL,
    decided_at     timestamptz,
    decided_by     uuid,
    decision_note  text,
    UNIQUE (tenant_id, id)
);
CREATE INDEX conflict_reviews_status ON conflict_reviews (tenant_id, status, created_at);

CREATE TABLE bookings (
    tenant_id           uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                  uuid NOT NULL PRIMARY KEY,
    attorney_id         uuid NOT NULL,
    practice_area       text NOT NULL,
    starts_at           timestamptz NOT NULL,
    ends_at             timestamptz NOT NULL,
    blocked_until       timestamptz NOT NULL,
    status              text NOT NULL CHECK (status IN ('held', 'tentative', 'confirmed', 'cancelled', 'expired')),
    hold_expires_at     timestamptz,
    conflict_review_id  uuid,
    client_name         text,
    client_phone        text,
    client_email        text,
    sequence            integer NOT NULL DEFAULT 0,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    UNIQUE (tenant_id, id),
    CHECK (starts_at < ends_at AND ends_at <= blocked_until),
    CHECK ((status = 'held') = (hold_expires_at IS NOT NULL)),
    FOREIGN KEY (tenant_id, attorney_id) REFERENCES attorneys (tenant_id, id),
    FOREIGN KEY (tenant_id, conflict_review_id) REFERENCES conflict_reviews (tenant_id, id),
    -- No double booking, enforced by the database: active holds and
    -- bookings of one attorney never overlap, whatever the concurrency.
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
        tenant_id WITH =,
        attorney_id WITH =,
        tstzrange(starts_at, blocked_until, '[)') WITH &&
    ) WHERE (status IN ('held', 'tentative', 'confirmed'))
);
CREATE INDEX bookings_by_attorney ON bookings (tenant_id, attorney_id, starts_at);
CREATE INDEX bookings_by_start ON bookings (tenant_id, starts_at);
CREATE INDEX bookings_by_review ON bookings (tenant_id, conflict_review_id);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['firm_settings', 'attorneys', 'parties',
                             'conflict_reviews', 'bookings']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I
                 USING (tenant_id = hermes_current_tenant())
                 WITH CHECK (tenant_id = hermes_current_tenant())', t);
    END LOOP;
END $$;
