# ruff: noqa: N999 - gunicorn looks for a file named gunicorn.conf.py
"""Gunicorn settings for serving Hippo: `gunicorn -c hippo_site/gunicorn.conf.py`.

Every request goes through Django's WSGI handler (`hippo_site.wsgi:application`): its middleware
and the DRF views, with their parsers, renderers, negotiation, permissions and throttles. There is
no second implementation of any endpoint in front of it.

Worker model, chosen by measurement (`bench/api_throughput.py`, docs/API.md): gunicorn's
`gthread` worker. Django's ASGI handler sends its request signals through `sync_to_async`, so
every request hops threads even for an async view; real Django views measured about twice as fast
under gthread as under the asgi worker, for every endpoint, so no ASGI entry point is kept.
`HIPPO_THREADS` threads per worker let a large batch in flight leave the worker's other
connections answered; `WEB_CONCURRENCY` workers (default 2, one per core) share one listening
socket. Every value can be overridden from the environment or the command line.

Operational choices (issue 9):

- No `SO_REUSEPORT`: a second server started on the same address fails at once ("Address already
  in use") instead of silently taking a share of the connections; the master owns the one socket,
  so the configured backlog is what `listen()` gets, a worker replaced after a crash accepts from
  the same socket as the others at once, and the log prints the bound address.
- No control socket (`control_socket_disable`): gunicorn would otherwise create one at
  `~/.gunicorn/gunicorn.ctl`, shared by every instance of the same user.

BLAS: one OpenBLAS thread per worker (`OPENBLAS_NUM_THREADS=1`, unless already set). Set here,
in the master, so the workers inherit it before they import NumPy. With the default of one thread
per core, each worker's BLAS threads compete with the other worker for the two cores and spin
while waiting: measured with `POST /predict` batches of 100 images at 2-4 clients, one thread
answered twice the requests for half the CPU time.
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

wsgi_app = "hippo_site.wsgi:application"

# Refuse to start without DJANGO_SECRET_KEY (unless DJANGO_DEBUG=true) here, in the master, with
# one message: failing later in every worker's settings import would print a traceback per worker.
# Read with the settings' own functions; the project root is not yet on sys.path when gunicorn
# reads this file.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from hippo_site.env import env_bool, require_secret_key  # noqa: E402
from hippo_site.gunicorn_errors import install as install_json_errors  # noqa: E402

require_secret_key(env_bool("DJANGO_DEBUG", default=False))
# gunicorn's own refusals (414 request line, 431 headers, malformed HTTP) in the JSON envelope.
install_json_errors()

bind = os.environ.get("HIPPO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("HIPPO_WORKER_CLASS", "gthread")
threads = int(os.environ.get("HIPPO_THREADS", "4"))
keepalive = int(os.environ.get("HIPPO_KEEPALIVE", "5"))
backlog = int(os.environ.get("HIPPO_BACKLOG", "2048"))
timeout = 60
accesslog = os.environ.get("HIPPO_ACCESS_LOG") or None
reuse_port = False
control_socket_disable = True


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
    # Operators (and the kill -9 test) can tell when a new worker starts accepting connections.
    worker.log.info("Worker ready to accept (pid: %s)", worker.pid)
