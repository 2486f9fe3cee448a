# ruff: noqa: N999 - gunicorn looks for a file named gunicorn.conf.py
"""Gunicorn settings for serving Hippo: `gunicorn -c hippo_site/gunicorn.conf.py`.

It serves `inference.wsgi:application`: Django behind the lean `POST /predict` path of
`inference.fast_path`. Every value can be overridden from the environment or the command line.

Workers: `gthread` with 1 thread, chosen by measurement (`bench/api_throughput.py`, docs/API.md).
Requests are short and CPU-bound, so threads add no parallelism (the GIL), but gthread keeps HTTP
connections alive between requests, which the `sync` worker cannot: with `sync` every request
pays a new TCP connection. Measured on the 2-core machine (server CPU time per request, the
steadiest figure there), gthread cost the same or less than `sync` at every concurrency and
answered more requests at 4-16 clients. Since the per-request database read went away (see
`inference.resolver`) nothing is left for threads to overlap, and more threads only contend for
the GIL: with 4 threads the p99 latency at 16 clients was twice that with 1 (10-11 ms against
5-7 ms), and a worker that holds several busy connections (wrk's connections do not always split
evenly between the two workers) spent 490-550 µs of CPU per request instead of ~300 µs, answering
a third fewer requests. With 1 thread, keep-alive connections still wait in the worker's poller;
requests on them are answered one after another. Two workers (`WEB_CONCURRENCY`) match the two
cores.

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
from typing import Any

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

bind = os.environ.get("HIPPO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = os.environ.get("HIPPO_WORKER_CLASS", "gthread")
threads = int(os.environ.get("HIPPO_THREADS", "1"))
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
