-- Offices (issue 8, the Enterprise plan): the hermes_firm::Offices
-- document, each office with its numbers, hours and time zone. NULL: the
-- firm is one office (the tenant's zone, the firm's hours).
ALTER TABLE firm_settings ADD COLUMN offices text;
