#!/usr/bin/env bash
# Creates HERMES's roles and database the first time the PostgreSQL
# container starts on an empty volume (the official image runs the files
# in /docker-entrypoint-initdb.d once, as the superuser). On a PostgreSQL
# you run yourself, run the same SQL by hand (DEPLOYMENT.md).
#
# Why two roles:
#   hermes         what the nodes connect as (database.url). An ordinary
#                  role that owns the database and its tables, so the
#                  migrations can run, but neither a superuser nor
#                  BYPASSRLS: the row-level-security policies that keep
#                  each firm's rows apart are FORCEd on the owner too.
#   hermes_backup  what pg_dump connects as (backup.database_url). A dump
#                  must read every firm's rows, so it bypasses RLS; it
#                  can read everything (pg_read_all_data) and write
#                  nothing.
# A subshell: the image sources (rather than runs) a script that has lost
# its executable bit, and these options must not leak into its entrypoint.
(
set -euo pipefail

: "${HERMES_DB_PASSWORD:?is not set (see .env.example)}"
: "${HERMES_BACKUP_DB_PASSWORD:?is not set (see .env.example)}"

psql --no-psqlrc -v ON_ERROR_STOP=1 \
  --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" \
  --set=app_password="$HERMES_DB_PASSWORD" \
  --set=backup_password="$HERMES_BACKUP_DB_PASSWORD" <<'SQL'
CREATE ROLE hermes LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE
  PASSWORD :'app_password';
CREATE ROLE hermes_backup LOGIN NOSUPERUSER BYPASSRLS NOCREATEDB NOCREATEROLE
  PASSWORD :'backup_password';
GRANT pg_read_all_data TO hermes_backup;
CREATE DATABASE hermes OWNER hermes;
REVOKE ALL ON DATABASE hermes FROM PUBLIC;
GRANT CONNECT ON DATABASE hermes TO hermes_backup;
SQL
)
