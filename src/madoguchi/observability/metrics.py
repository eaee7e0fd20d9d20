"""Metrics counted inside each process (Prometheus, prometheus-client), and their exposition.

What happens in a process is counted here: HTTP requests by route template and status, with
their latency; OCSP answers by where they came from; the time SQLite writers wait at the
writer gate (store/db.py). What lives in the store (issuances, revocations, refusals, notices,
CRLs, checkpoints) is read from the store when /metrics is scraped (web/ops_metrics.py), so
every process tells the same.

``madoguchi serve --workers N`` runs N processes; prometheus-client's multiprocess mode makes
them count together: :func:`worker_metrics_dir` gives the workers a fresh directory in
``PROMETHEUS_MULTIPROC_DIR`` before they start (each writes its values to files there), and
:func:`exposition` then reads the files of all of them, whichever worker answers the scrape.
The variable must be set before prometheus-client is imported, which is why the workers (new
processes) get it from the environment. With one process, the default registry is used, with
the process and Python collectors.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prometheus_client import (
    REGISTRY,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: the text format every Prometheus reads (the names here need nothing newer)
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
disable_created_metrics()  # type: ignore[no-untyped-call]  # no *_created series: the exposition stays small and plain

HTTP_REQUESTS = Counter(
    "madoguchi_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "madoguchi_http_request_duration_seconds",
    "Time to answer an HTTP request, by method and route template.",
    ["method", "route"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
#: memory: kept in this process; store: pre-signed, read from the store; signed: signed for
#: this request; error: malformedRequest, unauthorized or internalError
OCSP_SOURCES = ("memory", "store", "signed", "error")
OCSP_RESPONSES = Counter(
    "madoguchi_ocsp_responses",
    "OCSP answers served, by where the answer came from.",
    ["source"],
)
WRITER_WAIT = Histogram(
    "madoguchi_db_writer_wait_seconds",
    "Time a SQLite write transaction waited at the writer gate before BEGIN IMMEDIATE.",
    buckets=(0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
for _source in OCSP_SOURCES:
    OCSP_RESPONSES.labels(_source)  # every source shows, at 0, from the start


def ocsp_answered(source: str) -> None:
    OCSP_RESPONSES.labels(source).inc()


def multiprocess_mode() -> bool:
    return bool(os.environ.get(MULTIPROC_ENV))


@contextmanager
def worker_metrics_dir() -> Iterator[str]:
    """For ``serve --workers N``: a fresh, empty directory for the workers' metric files in
    the environment they inherit (an operator's own PROMETHEUS_MULTIPROC_DIR is kept, and
    must be emptied by the operator between runs, as prometheus-client says); removed after."""
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        yield given
        return
    path = tempfile.mkdtemp(prefix="madoguchi-metrics-")
    os.environ[MULTIPROC_ENV] = path
    try:
        yield path
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(path, ignore_errors=True)


class _Many:
    def __init__(self, collectors: Iterable[Collector]) -> None:
        self._collectors = list(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self._collectors:
            yield from collector.collect()


def exposition(extra: Iterable[Collector] = ()) -> bytes:
    """The text exposition of this process's (or all workers') metrics and ``extra``."""
    if multiprocess_mode():
        from prometheus_client import CollectorRegistry

        workers = CollectorRegistry()
        multiprocess.MultiProcessCollector(workers)  # type: ignore[no-untyped-call]
        sources: list[Collector] = [workers]
    else:
        sources = [REGISTRY]
    return generate_latest(_Many([*sources, *extra]))
