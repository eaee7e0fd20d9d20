"""The metrics read when /metrics is scraped: the store's counts (through the operations
service, so every worker process tells the same), the published CRL files, and this process's
CA and responder certificates. Time-based values are given both as ages (seconds) and as
timestamps (Prometheus' own habit: ``time() - …``).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from pathlib import Path

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from madoguchi.services.operations import OperationsService, StoreFacts

log = logging.getLogger("madoguchi.web.metrics")


def _partition(p: int | None) -> str:
    return "full" if p is None else str(p)


class StoreCollector:
    """A prometheus-client collector (``collect`` yields metric families)."""

    def __init__(self, operations: OperationsService, published: Path) -> None:
        self.operations = operations
        self.published = published

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("madoguchi_store_up", "1 when the store answered this scrape.")
        try:
            facts = self.operations.facts()
        except Exception as exc:
            log.warning("metrics: the store did not answer: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            yield from self._certificates()
            return
        up.add_metric([], 1)
        yield up
        yield from self._counts(facts)
        yield from self._crls(facts)
        yield from self._ages(facts)
        yield from self._certificates()

    def _counts(self, f: StoreFacts) -> Iterator[Metric]:
        issued = CounterMetricFamily(
            "madoguchi_certificates_issued", "Certificates issued, by CA.", labels=["kind"]
        )
        for kind, n in sorted(f.issued.items()):
            issued.add_metric([kind], n)
        revoked = CounterMetricFamily(
            "madoguchi_certificates_revoked",
            "Certificates revoked, by CA and RFC 5280 reason.",
            labels=["kind", "reason"],
        )
        for (kind, reason), n in sorted(f.revoked.items()):
            revoked.add_metric([kind, reason], n)
        held = GaugeMetricFamily(
            "madoguchi_certificates_held", "Certificates on hold (lost cards).", labels=["kind"]
        )
        for kind in sorted(f.issued):
            held.add_metric([kind], f.held.get(kind, 0))
        refusals = CounterMetricFamily(
            "madoguchi_refusals",
            "Refusals at the counter, by kind (rule: the rules refused; clerk: a clerk "
            "refused the case) and reason code.",
            labels=["kind", "reason"],
        )
        for (kind, reason), n in sorted(f.refusals.items()):
            refusals.add_metric([kind, reason], n)
        notices = GaugeMetricFamily(
            "madoguchi_notices", "Expiry notices, by state.", labels=["state"]
        )
        for state, n in sorted(f.notices.items()):
            notices.add_metric([state], n)
        yield from (issued, revoked, held, refusals, notices)

    def _crls(self, f: StoreFacts) -> Iterator[Metric]:
        now = f.read_at.timestamp()
        labels = ["kind", "partition"]
        age = GaugeMetricFamily(
            "madoguchi_crl_age_seconds", "Age of the newest CRL (since thisUpdate).", labels=labels
        )
        left = GaugeMetricFamily(
            "madoguchi_crl_next_update_seconds",
            "Seconds until the newest CRL's nextUpdate (negative: past it).",
            labels=labels,
        )
        entries = GaugeMetricFamily(
            "madoguchi_crl_entries", "Entries of the newest CRL.", labels=labels
        )
        size = GaugeMetricFamily(
            "madoguchi_crl_published_bytes",
            "Size of the CRL file published for relying parties (madoguchi ca publish-crls).",
            labels=labels,
        )
        for c in f.crls:
            key = [c.kind, _partition(c.partition)]
            age.add_metric(key, now - c.this_update.timestamp())
            left.add_metric(key, c.next_update.timestamp() - now)
            entries.add_metric(key, c.entries)
            name = c.kind if c.partition is None else f"{c.kind}-{c.partition}"
            path = self.published / "crl" / f"{name}.crl"
            if path.is_file():
                size.add_metric(key, path.stat().st_size)
        yield from (age, left, entries, size)

    def _ages(self, f: StoreFacts) -> Iterator[Metric]:
        now = f.read_at
        checkpoint = GaugeMetricFamily(
            "madoguchi_audit_checkpoint_age_seconds",
            "Age of the newest signed audit checkpoint (+Inf: none).",
        )
        checkpoint.add_metric(
            [], (now - f.checkpoint_at).total_seconds() if f.checkpoint_at else math.inf
        )
        unsigned = GaugeMetricFamily(
            "madoguchi_audit_unsigned_age_seconds",
            "Age of the oldest audit entry no checkpoint covers yet (0: all covered).",
        )
        unsigned.add_metric([], (now - f.unsigned_since).total_seconds() if f.unsigned_since else 0)
        backup = GaugeMetricFamily(
            "madoguchi_backup_age_seconds", "Age of the newest backup (+Inf: none recorded)."
        )
        backup.add_metric([], (now - f.backup.at).total_seconds() if f.backup else math.inf)
        backup_size = GaugeMetricFamily("madoguchi_backup_bytes", "Size of the newest backup file.")
        if f.backup:
            backup_size.add_metric([], f.backup.size)
        yield from (checkpoint, unsigned, backup, backup_size)

    def _certificates(self) -> Iterator[Metric]:
        """This process's CA and responder certificates (no store needed)."""
        now = self.operations.clock().timestamp()
        ca = GaugeMetricFamily(
            "madoguchi_ca_certificate_expiry_seconds",
            "Seconds until the CA certificate ends.",
            labels=["kind"],
        )
        responder = GaugeMetricFamily(
            "madoguchi_ocsp_responder_expiry_seconds",
            "Seconds until the OCSP responder certificate this process signs with ends.",
            labels=["kind"],
        )
        for kind, a in sorted(self.operations.authorities().items()):
            ca.add_metric([kind.value], a.cert.not_valid_after_utc.timestamp() - now)
            responder.add_metric(
                [kind.value], a.responder_cert.not_valid_after_utc.timestamp() - now
            )
        yield from (ca, responder)
