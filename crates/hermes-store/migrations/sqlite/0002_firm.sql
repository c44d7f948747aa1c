-- Firm setup (issue 3): settings documents, attorneys, the parties index,
-- conflict reviews, and holds/bookings.

-- One row per firm; each section is a JSON document validated by
-- hermes-firm before it is written and after it is read. NULL = not set yet.
CREATE TABLE firm_settings (
    tenant_id       BLOB NOT NULL PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    profile         TEXT,
    hours           TEXT,
    practice_areas  TEXT,
    escalation      TEXT,
    updated_at      TEXT NOT NULL
) STRICT;

CREATE TABLE attorneys (
    tenant_id   BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          BLOB NOT NULL PRIMARY KEY,
    -- The hermes_firm::Attorney document (name, areas, availability, rules).
    document    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    UNIQUE (tenant_id, id)
) STRICT;

-- Everyone the firm has represented, been adverse to, or heard from.
CREATE TABLE parties (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             BLOB NOT NULL PRIMARY KEY,
    kind           TEXT NOT NULL CHECK (kind IN ('person', 'organization')),
    name           TEXT NOT NULL,
    aliases        TEXT NOT NULL,   -- JSON array of strings
    role           TEXT NOT NULL CHECK (role IN ('client', 'former_client', 'adverse_party',
                                                 'related_party', 'opposing_counsel', 'prospective_client')),
    date_of_birth  TEXT,
    phones         TEXT NOT NULL,   -- JSON array of E.164 strings
    emails         TEXT NOT NULL,   -- JSON array of strings
    matter_ref     TEXT,
    matter_status  TEXT CHECK (matter_status IN ('open', 'pending', 'closed')),
    source         TEXT NOT NULL CHECK (source IN ('manual', 'csv_import', 'intake', 'clio')),
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    UNIQUE (tenant_id, id)
) STRICT;
CREATE INDEX parties_by_name ON parties (tenant_id, name);

-- A conflict check that found something an attorney must look at.
CREATE TABLE conflict_reviews (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             BLOB NOT NULL PRIMARY KEY,
    status         TEXT NOT NULL CHECK (status IN ('open', 'cleared', 'declined')),
    severity       TEXT NOT NULL CHECK (severity IN ('potential', 'conflict')),
    subject        TEXT NOT NULL,   -- who the check was for (the prospective client)
    request        TEXT NOT NULL,   -- JSON: the parties checked
    hits           TEXT NOT NULL,   -- JSON: the hits with their reasons
    created_at     TEXT NOT NULL,
    decided_at     TEXT,
    decided_by     BLOB,
    decision_note  TEXT,
    UNIQUE (tenant_id, id)
) STRICT;
CREATE INDEX conflict_reviews_status ON conflict_reviews (tenant_id, status, created_at);

-- Holds and bookings are one table: both occupy an attorney's time, and
-- "no double booking" is one rule over both.
CREATE TABLE bookings (
    tenant_id           BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                  BLOB NOT NULL PRIMARY KEY,
    attorney_id         BLOB NOT NULL,
    practice_area       TEXT NOT NULL,
    starts_at           TEXT NOT NULL,
    ends_at             TEXT NOT NULL,
    -- ends_at plus the attorney's buffer: the time nobody else may have.
    blocked_until       TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('held', 'tentative', 'confirmed', 'cancelled', 'expired')),
    hold_expires_at     TEXT,
    conflict_review_id  BLOB,
    client_name         TEXT,
    client_phone        TEXT,
    client_email        TEXT,
    sequence            INTEGER NOT NULL DEFAULT 0,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (tenant_id, id),
    CHECK (starts_at < ends_at AND ends_at <= blocked_until),
    CHECK ((status = 'held') = (hold_expires_at IS NOT NULL)),
    FOREIGN KEY (tenant_id, attorney_id) REFERENCES attorneys (tenant_id, id),
    FOREIGN KEY (tenant_id, conflict_review_id) REFERENCES conflict_reviews (tenant_id, id)
) STRICT;
CREATE INDEX bookings_by_attorney ON bookings (tenant_id, attorney_id, starts_at);
CREATE INDEX bookings_by_start ON bookings (tenant_id, starts_at);
CREATE INDEX bookings_by_review ON bookings (tenant_id, conflict_review_id);

-- No double booking, enforced by the database: an active hold or booking
-- may not overlap another of the same attorney (PostgreSQL uses an
-- exclusion constraint). SQLite runs one writer at a time, so the check
-- and the write cannot interleave. Times are RFC 3339 UTC text, which sorts
-- in time order.
CREATE TRIGGER bookings_no_overlap_insert
BEFORE INSERT ON bookings
WHEN NEW.status IN ('held', 'tentative', 'confirmed')
BEGIN
    SELECT RAISE(ABORT, 'booking_overlap')
    WHERE EXISTS (
        SELECT 1 FROM bookings b
        WHERE b.tenant_id = NEW.tenant_id AND b.attorney_id = NEW.attorney_id
          AND b.status IN ('held', 'tentative', 'confirmed')
          AND b.starts_at < NEW.blocked_until AND NEW.starts_at < b.blocked_until
    );
END;

CREATE TRIGGER bookings_no_overlap_update
BEFORE UPDATE OF attorney_id, starts_at, blocked_until, status ON bookings
WHEN NEW.status IN ('held', 'tentative', 'confirmed')
BEGIN
    SELECT RAISE(ABORT, 'booking_overlap')
    WHERE EXISTS (
        SELECT 1 FROM bookings b
        WHERE b.tenant_id = NEW.tenant_id AND b.attorney_id = NEW.attorney_id
          AND b.id <> NEW.id
          AND b.status IN ('held', 'tentative', 'confirmed')
          AND b.starts_at < NEW.blocked_until AND NEW.starts_at < b.blocked_until
    );
END;
