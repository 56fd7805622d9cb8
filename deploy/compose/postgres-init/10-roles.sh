#!/bin/sh
# Runs once, when the PostgreSQL data volume is created (docker-entrypoint-initdb.d): a role for Temporal (it
# creates its own databases, temporal and temporal_visibility) and a role owning the case register database.
# Passwords come from the environment (deploy/compose/.env), never from this file.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
  -v temporal_password="$TEMPORAL_DB_PASSWORD" -v scr_password="$SCR_DB_PASSWORD" <<'SQL'
CREATE ROLE temporal LOGIN CREATEDB PASSWORD :'temporal_password';
CREATE ROLE scr LOGIN PASSWORD :'scr_password';
CREATE DATABASE scr OWNER scr;
REVOKE ALL ON DATABASE scr FROM PUBLIC;
SQL
