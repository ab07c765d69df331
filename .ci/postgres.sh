# Sourced by .ci/run: a throwaway PostgreSQL cluster for the journal's PostgreSQL tests.
# `start_test_postgres PORT` installs PostgreSQL from the distribution when no initdb is found, starts a private
# cluster as an unprivileged user on 127.0.0.1:PORT and exports REMEDY_TEST_PG_URL, REMEDY_TEST_PG_BIN and
# REMEDY_TEST_PG_RUNAS; `stop_test_postgres` stops it and removes its directory.

pg_bin_dir() {
  local initdb
  for initdb in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$initdb" ] && { dirname "$initdb"; return 0; }
  done
  initdb="$(command -v initdb 2>/dev/null || true)"
  [ -n "$initdb" ] && { dirname "$(readlink -f "$initdb")"; return 0; }
  return 1
}

install_postgres() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "PostgreSQL is missing and installing it needs root" >&2
    return 1
  fi
  # The package must not create or start a cluster of its own: the tests use a private one.
  mkdir -p /etc/postgresql-common
  echo "create_main_cluster = false" >>/etc/postgresql-common/createcluster.conf
  local policy=/usr/sbin/policy-rc.d had_policy=false
  [ -e "$policy" ] && had_policy=true
  $had_policy || { printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod +x "$policy"; }
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o Dpkg::Options::=--force-confold postgresql >/dev/null
  $had_policy || rm -f "$policy"
}

# Runs a command as the cluster's owner: CI runs as root and initdb refuses root.
as_pg_user() {
  if [ -n "${REMEDY_TEST_PG_RUNAS:-}" ]; then
    runuser -u "$REMEDY_TEST_PG_RUNAS" -- "$@"
  else
    "$@"
  fi
}

start_test_postgres() {
  local port="$1" bin
  bin="$(pg_bin_dir)" || { install_postgres && bin="$(pg_bin_dir)"; } || {
    echo "no initdb after installing postgresql" >&2
    return 1
  }
  export REMEDY_TEST_PG_RUNAS=""
  if [ "$(id -u)" -eq 0 ]; then
    id pgci >/dev/null 2>&1 || useradd -m pgci
    export REMEDY_TEST_PG_RUNAS=pgci
  fi
  TEST_PG_DIR="$(mktemp -d /tmp/remedy-ci-pg.XXXXXX)"
  [ -n "$REMEDY_TEST_PG_RUNAS" ] && chown "$REMEDY_TEST_PG_RUNAS" "$TEST_PG_DIR"
  TEST_PG_BIN="$bin"
  as_pg_user "$bin/initdb" -D "$TEST_PG_DIR/data" -A trust -U remedy >"$TEST_PG_DIR/initdb.log"
  as_pg_user "$bin/pg_ctl" -D "$TEST_PG_DIR/data" -w -l "$TEST_PG_DIR/postgres.log" \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null
  export REMEDY_TEST_PG_URL="postgres://remedy@127.0.0.1:$port/postgres"
  export REMEDY_TEST_PG_BIN="$bin"
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') for the tests at $REMEDY_TEST_PG_URL"
}

stop_test_postgres() {
  [ -n "${TEST_PG_DIR:-}" ] || return 0
  as_pg_user "$TEST_PG_BIN/pg_ctl" -D "$TEST_PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$TEST_PG_DIR"
  TEST_PG_DIR=""
}
