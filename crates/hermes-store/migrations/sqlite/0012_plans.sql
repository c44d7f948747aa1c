-- Plans and metering (issue 8). A firm's plan decides how many answered
-- calls a month it includes (Free: 100; Professional and Enterprise:
-- unlimited). Firms that existed before plans keep what they had:
-- unlimited calls.
ALTER TABLE tenants ADD COLUMN plan TEXT NOT NULL DEFAULT 'professional'
    CHECK (plan IN ('free', 'professional', 'enterprise'));

-- Answered calls per firm and calendar month (UTC, 'YYYY-MM'), counted
-- atomically as each call is recorded: the count a call gets is its
-- place in the month, which decides whether it is over the plan's
-- allowance. The browser test phone is not metered.
CREATE TABLE usage_meters (
    tenant_id  BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    month      TEXT NOT NULL,
    calls      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, month)
) STRICT;

-- A metered call's place in its month (1 = the month's first call).
ALTER TABLE calls ADD COLUMN month_ordinal INTEGER;
