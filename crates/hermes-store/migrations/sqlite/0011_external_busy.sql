-- Attorneys' time taken elsewhere (issue 6: their Clio calendars), as the
-- scheduler's busy time. Replaced per attorney and source by each sync, so
-- an entry deleted or moved in Clio frees or moves the time here too.
-- Recurring entries arrive expanded (one row per occurrence).
CREATE TABLE external_busy (
    tenant_id    BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    attorney_id  BLOB NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('clio')),
    starts_at    TEXT NOT NULL,
    ends_at      TEXT NOT NULL,
    FOREIGN KEY (tenant_id, attorney_id) REFERENCES attorneys (tenant_id, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX external_busy_by_time ON external_busy (tenant_id, starts_at);
