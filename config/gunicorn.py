"""gunicorn configuration: `gunicorn -c config/gunicorn.py config.wsgi`.

Process settings only (Django's own settings stay in config/settings.py). Threads let one
worker overlap database round-trips; several workers use several cores.
"""

from __future__ import annotations

import glob
import multiprocessing
import os
import shutil
import tempfile
from typing import Any

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # noqa: S104
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
# gthread, listening for new connections only while a thread is free (config/gthread.py):
# gunicorn's own lets one worker take a burst of connections while the others idle.
worker_class = "config.gthread.BalancedThreadWorker"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so a slow leak can never take a process down; but rarely.
# At 2,000 a worker under load restarted every two to four seconds, each restart re-importing
# Django on a core for about a second (and dropping its throttle counters, key-set cache and
# database connection): the constant-JSON ceiling served half what it served with recycling
# off (issue 14). 100,000 is a restart every minute or two per worker at full load, each
# staggered by the jitter so two workers do not leave together. 0 turns recycling off.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
# RequestLogMiddleware logs each request (with its id, without query strings); gunicorn's
# access log would repeat it and print the delivery-report token.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# The proxy in front (Render, an ingress) sets X-Forwarded-*; trust it from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No control socket (gunicornc, gunicorn 25.1+): nothing here uses it (orchestrators send
# signals), and its default path, $HOME/.gunicorn/gunicorn.ctl, fails with an error line on a
# read-only root filesystem and is shared by every gunicorn run from the same home.
control_socket_disable = True
# /dev/shm rather than a possibly slow container disk for worker heartbeats.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# Metrics (monitoring app): each worker process writes its values into this folder and a
# scrape of /metrics adds them up, so every worker's requests count whichever one is scraped.
# prometheus-client needs an empty folder at start and the variable set before it is imported
# (by the workers, forked after this file ran). Made fresh here unless the environment names one.
_metrics_dir_given = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
if not _metrics_dir_given:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
        prefix="patient-orders-metrics-", dir=worker_tmp_dir
    )


def on_starting(server: Any) -> None:
    """A folder named by the environment may hold a previous run's values: start from zero."""
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for path in glob.glob(os.path.join(folder, "*.db")):
        os.remove(path)


def child_exit(server: Any, worker: Any) -> None:
    """A worker exited (recycled after max_requests, or killed): its counters stay in the
    sums; prometheus-client forgets its live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if not _metrics_dir_given:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
