# ruff: noqa: N999 - gunicorn looks for a file named gunicorn.conf.py
"""Gunicorn settings for serving Hippo: `gunicorn -c hippo_site/gunicorn.conf.py`.

It serves `inference.wsgi:application`: Django behind the lean `POST /predict` path of
`inference.fast_path`. Every value can be overridden from the environment or the command line.

Workers: `gthread` with 4 threads, chosen by measurement (`bench/api_throughput.py`, docs/API.md).
Requests are short and CPU-bound, so threads add no parallelism (the GIL), but gthread keeps HTTP
connections alive between requests, which the `sync` worker cannot: with `sync` every request
pays a new TCP connection. Measured on the 2-core machine (server CPU time per request, the
steadiest figure there), gthread cost the same or less than `sync` at every concurrency and
answered more requests at 4-16 clients; 1 thread instead of 4 was no cheaper. A few threads also
let one request's database read overlap another's computation. Two workers (`WEB_CONCURRENCY`)
match the two cores.
"""

from __future__ import annotations

import logging
import os
from typing import Any

bind = os.environ.get("HIPPO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("HIPPO_WORKER_CLASS", "gthread")
threads = int(os.environ.get("HIPPO_THREADS", "4"))
keepalive = int(os.environ.get("HIPPO_KEEPALIVE", "5"))
backlog = 2048
timeout = 60
accesslog = os.environ.get("HIPPO_ACCESS_LOG") or None
wsgi_app = "inference.wsgi:application"


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
