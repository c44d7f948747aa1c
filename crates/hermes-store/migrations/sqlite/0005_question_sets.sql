-- The intake agent (issue 4), continued.

-- Question sets a firm has edited, one per practice area; areas without a
-- row use the built-in defaults. `document` is a hermes_intake QuestionSet,
-- validated before it is written and parsed again when read.
CREATE TABLE question_sets (
    tenant_id      BLOB NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    practice_area  TEXT NOT NULL,
    document       TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (tenant_id, practice_area)
) STRICT;

-- Optimistic concurrency for live conversations: every saved turn bumps
-- `version`, and a turn computed from an older state is refused, so two
-- messages sent at once can never silently lose one another's words.
ALTER TABLE intakes ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
