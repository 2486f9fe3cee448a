# ruff: noqa: N999 - gunicorn looks for a file named gunicorn.conf.py
"""Gunicorn settings for serving Hippo: `gunicorn -c hippo_site/gunicorn.conf.py`.

It runs gunicorn's `asgi` worker on a uvloop event loop (`HIPPO_ASGI_LOOP`: `auto`, `uvloop` or
`asyncio`) serving `inference.asgi:application`: Django's ASGI handler behind the lean
`POST /predict` path. Every value can be overridden from the environment or the command line;
`HIPPO_WORKER_CLASS=gthread` serves `inference.wsgi:application` (the same lean path for WSGI)
as before.

Why the asgi worker, by measurement (`bench/api_throughput.py`, docs/API.md): with gthread (1
thread) a plain `POST /predict` cost ~300 µs of server CPU, of which the lean path itself is
~75 µs; the rest was gunicorn's pure-Python HTTP handling and the hand-off of every request from
gthread's poller thread to its worker thread, and at 16 and 64 clients Hippo answered only
0.84-0.91x the FastAPI peer's requests. The asgi worker parses and answers on one event loop (no
thread hand-off), and the lean path runs the ~12 µs forward pass inline on it: ~170-210 µs of CPU
per request, 1.5-1.8x the peer's requests/s at 1-64 clients, and lower p99 latency from 4
clients on. Requests the lean path leaves to Django run on Django's ASGI handler, which runs the
(synchronous) views on a thread per request: slower than under gthread, but nothing there is
hot. uvloop cost less CPU per request than the standard asyncio loop (see docs/API.md).

Each worker listens on its own socket (`reuse_port`, SO_REUSEPORT; `HIPPO_REUSE_PORT=false` to
share one socket): the kernel then spreads new connections over the workers. On one shared
socket an event loop accepts every connection waiting when it wakes up, so a burst of new
connections (a client pool, wrk) often lands in one worker, which then serves them all on one
core: in 7 of 16 benchmark rounds at 4 and 16 clients one worker held every connection and
answered ~5,200-5,600 requests/s instead of ~10,000; with a socket per worker, none of 6.
The cost: connections still waiting in a worker's queue when it dies are reset.

With gthread, 1 thread was best (more threads only contend for the GIL); the asgi worker ignores
`threads`. Two workers (`WEB_CONCURRENCY`) match the two cores.

BLAS: one OpenBLAS thread per worker (`OPENBLAS_NUM_THREADS=1`, unless already set). Set here,
in the master, so the workers inherit it before they import NumPy. With the default of one thread
per core, each worker's BLAS threads compete with the other worker for the two cores and spin
while waiting: measured with `POST /predict` batches of 100 images at 2-4 clients, one thread
answered twice the requests for half the CPU time (5.3 ms instead of 11 ms per request); single
images, too small for BLAS to use threads, cost the same either way.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

# The serving variables below may live in `.env` like every other setting (real environment
# variables win), so read it here too: Django's settings load it only later, in the workers.
load_dotenv(Path(__file__).resolve().parent.parent / ".env", override=False)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# Refuse to start without DJANGO_SECRET_KEY (unless DJANGO_DEBUG=true) here, in the master, with
# one message: failing later in every worker's settings import would print a traceback per worker.
# Read with the settings' own functions; the project root is not yet on sys.path when gunicorn
# reads this file.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hippo_site.env import env_bool, require_secret_key  # noqa: E402

require_secret_key(env_bool("DJANGO_DEBUG", default=False))

bind = os.environ.get("HIPPO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("HIPPO_WORKER_CLASS", "asgi")
threads = int(os.environ.get("HIPPO_THREADS", "1"))
keepalive = int(os.environ.get("HIPPO_KEEPALIVE", "5"))
backlog = 2048
timeout = 60
accesslog = os.environ.get("HIPPO_ACCESS_LOG") or None
asgi_loop = os.environ.get("HIPPO_ASGI_LOOP", "auto")
reuse_port = os.environ.get("HIPPO_REUSE_PORT", "true").lower() not in ("0", "false", "no", "off")
wsgi_app = "inference.asgi:application" if worker_class == "asgi" else "inference.wsgi:application"


def post_worker_init(worker: Any) -> None:
    """Load the default network into this worker's cache before it takes requests.

    A failure (no default yet, database not migrated) is logged, not fatal: the first request then
    reports the problem as an API error.
    """
    from inference.services import warm_up

    try:
        warm_up()
    except Exception:
        logging.getLogger("hippo.gunicorn").warning("warm-up failed", exc_info=True)
