#!/usr/bin/env bash
# Run a command against a throw-away PostgreSQL server: scripts/with-postgres.sh CMD [ARGS...]
#
# A fresh cluster is created under a temporary directory (initdb/pg_ctl of Debian's newest
# /usr/lib/postgresql/*/bin; the `postgresql` package is installed with apt when missing and we are
# root), started on a Unix socket in that directory only (no TCP port, so nothing can collide with
# another server on this machine), and CMD runs with DATABASE_URL pointing at it and
# HIPPO_REQUIRE_POSTGRES=1 (tests that need PostgreSQL then fail instead of skipping), and
# HIPPO_PG_DATA/HIPPO_PG_BIN/HIPPO_PG_OWNER (so a test can stop and restart the server). The server
# is stopped and the directory removed when CMD ends, whatever its outcome (trap), and CMD's exit
# status is returned.
#
# PostgreSQL refuses to run as root, so when the caller is root the server runs as an unprivileged
# user (HIPPO_PG_USER, default `nobody`) that owns the temporary directory. The cluster trusts local
# connections: it lives only as long as CMD and is reachable only through a socket in a directory
# no other unprivileged user can enter (mode 700). Durability is switched off (fsync etc.): the
# data is thrown away anyway, and the tests run faster.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 COMMAND [ARGS...]" >&2
  exit 2
fi

find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

if ! bin=$(find_bin); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "with-postgres: installing Debian's postgresql"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql >/dev/null
  fi
  bin=$(find_bin) || {
    echo "with-postgres: PostgreSQL's server programs are missing; install Debian's 'postgresql'" \
      "package (sudo apt-get install postgresql)" >&2
    exit 1
  }
fi

run_as=()
owner=$(id -un)
if [ "$(id -u)" = 0 ]; then
  owner=${HIPPO_PG_USER:-nobody}
  run_as=(runuser -u "$owner" --)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hippo-pg.XXXXXX")
server=
cleanup() {
  local status=$?
  if [ -n "$server" ]; then
    # SIGINT is PostgreSQL's "fast" shutdown (the data is thrown away: nothing to wait for).
    (cd "$tmp" && "${run_as[@]}" "$bin/pg_ctl" -D "$tmp/data" -m fast -w -t 30 stop >/dev/null 2>&1) \
      || kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
chmod 700 "$tmp"
[ "$(id -u)" = 0 ] && chown "$owner" "$tmp"

# The server's working directory must be readable by its user, whatever the caller's is.
cd_tmp() { (cd "$tmp" && "$@"); }
cd_tmp "${run_as[@]}" "$bin/initdb" -D "$tmp/data" -U hippo -A trust -E UTF8 --locale=C \
  --no-sync >"$tmp/initdb.log" 2>&1 || {
  cat "$tmp/initdb.log" >&2
  exit 1
}
# The server runs in the foreground as this script's child (not daemonized by pg_ctl), so this
# script reaps it: on machines whose init does not reap orphans nothing is left behind.
cd_tmp "${run_as[@]}" "$bin/postgres" -D "$tmp/data" -c listen_addresses='' \
  -c unix_socket_directories="$tmp" -c fsync=off -c synchronous_commit=off \
  -c full_page_writes=off -c max_connections=200 >"$tmp/server.log" 2>&1 &
server=$!
for _ in $(seq 1 240); do
  "$bin/pg_isready" -q -h "$tmp" -U hippo && break
  kill -0 "$server" 2>/dev/null || break
  sleep 0.25
done
"$bin/pg_isready" -q -h "$tmp" -U hippo || {
  echo "with-postgres: the server did not start:" >&2
  cat "$tmp/server.log" >&2
  exit 1
}
"$bin/createdb" -h "$tmp" -U hippo hippo

# dj-database-url reads a percent-encoded path as the host: the socket directory.
socket_host=$(printf '%s' "$tmp" | sed 's|/|%2F|g')
export DATABASE_URL="postgres://hippo@${socket_host}/hippo"
export HIPPO_REQUIRE_POSTGRES=1
# For tests that stop and restart the server mid-test (tests/fixtures/postgres.py): its data
# directory, programs and the user it runs as.
export HIPPO_PG_DATA="$tmp/data" HIPPO_PG_BIN="$bin" HIPPO_PG_OWNER="$owner"
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on $tmp (as $owner)"

# Not exec: the trap must run after the command to stop the server.
set +e
"$@"
status=$?
set -e
exit "$status"
