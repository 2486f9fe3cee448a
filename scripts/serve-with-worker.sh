#!/usr/bin/env bash
# `make run`: the development server and one training worker together; Ctrl-C stops both.
#
#   scripts/serve-with-worker.sh PYTHON PORT
#
# The worker is django-tasks-db's `db_worker` (one training at a time: one per core is the rule,
# and the server needs the other). On Ctrl-C the worker stops its run at the next progress beat,
# keeping its epoch checkpoint (the run is then "interrupted" and can be resumed); after
# STOP_SECONDS both are terminated, then killed.
set -uo pipefail
cd "$(dirname "$0")/.."
python=${1:?usage: $0 PYTHON PORT}
port=${2:-8000}
STOP_SECONDS=${STOP_SECONDS:-10}

# No autoreload for the worker: a reload would kill a run in the middle of an epoch.
"$python" manage.py db_worker --no-reload --no-startup-delay --interval 0.5 &
worker=$!
"$python" manage.py runserver "0.0.0.0:$port" &
server=$!

stop() {
  trap - INT TERM EXIT
  # Ctrl-C in the terminal reached the worker already (one process group): a second signal would
  # make it abandon its run without a clean stop. Otherwise (TERM, one of them ended) tell it.
  # The server (started in the background, SIGINT ignored) is told to stop with TERM.
  [ "${1:-}" = ctrl-c ] || kill -INT "$worker" 2>/dev/null
  kill -TERM "$server" 2>/dev/null
  for _ in $(seq $((STOP_SECONDS * 10))); do
    kill -0 "$worker" 2>/dev/null || kill -0 "$server" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$worker" "$server" 2>/dev/null
  sleep 0.5
  kill -KILL "$worker" "$server" 2>/dev/null
  wait 2>/dev/null
}
trap 'stop ctrl-c' INT
trap stop TERM EXIT

# Either one ending (a crash, a port in use) ends both.
wait -n "$worker" "$server"
status=$?
stop
exit "$status"
