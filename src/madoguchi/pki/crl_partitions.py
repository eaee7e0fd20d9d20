"""Partitioned CRLs (RFC 5280 §5.2.5): which partition a certificate belongs to, and the
distribution point of each partition's CRL."""

from __future__ import annotations

from dataclasses import dataclass

from madoguchi.pki.crl import IssuingDistributionPoint
from madoguchi.pki.errors import InvalidCrlInput


@dataclass(frozen=True, slots=True)
class PartitionScheme:
    """Partitioned CRLs: a certificate's partition is fixed at issuance (RFC 5280 §5.2.5).

    Each certificate gets a monotonically assigned sequence number per CA and lands in
    partition ``seq // size``; its cRLDistributionPoints names that partition's CRL, whose
    issuingDistributionPoint names the same URI. Why: a national population of 100 million
    cards with two certificates each, five-year validity and millions of address changes a
    year would put tens of millions of serials on one CRL (about 50 bytes each: a CRL of a
    gigabyte, re-downloaded by every relying party). A partition holds at most ``size``
    certificates, so its CRL never lists more than ``size`` entries, however large the
    population grows, and a new partition simply opens as issuance goes on. The full CRL
    (no IDP) is still published for relying parties that want everything.
    """

    size: int

    def __post_init__(self) -> None:
        if self.size < 1:
            raise InvalidCrlInput("partition_size", "a partition holds at least one certificate")

    def partition_of(self, seq: int) -> int:
        """The partition of the certificate issued with sequence number ``seq``."""
        if seq < 0:
            raise InvalidCrlInput("partition_seq", "sequence numbers are not negative")
        return seq // self.size

    def sequences(self, partition: int) -> range:
        """The sequence numbers whose certificates belong to ``partition``."""
        return range(partition * self.size, (partition + 1) * self.size)

    def url(self, template: str, *, kind: str, partition: int) -> str:
        """The distribution point of ``partition``, e.g. from
        ``http://ca.example/crl/{kind}-{partition}.crl``."""
        return partition_url(template, kind=kind, partition=partition)

    def idp(self, template: str, *, kind: str, partition: int) -> IssuingDistributionPoint:
        """The issuingDistributionPoint of the partition's CRL."""
        return IssuingDistributionPoint(self.url(template, kind=kind, partition=partition))


def partition_url(template: str, *, kind: str, partition: int) -> str:
    """Fill ``{kind}`` and ``{partition}`` in a distribution point template (§4.2.1.13)."""
    if "{partition}" not in template:
        raise InvalidCrlInput("crl_template", f"the template names no {{partition}}: {template!r}")
    if partition < 0:
        raise InvalidCrlInput("partition", "partitions are numbered from 0")
    try:
        url = template.format(kind=kind, partition=partition)
    except (KeyError, IndexError, ValueError) as exc:
        raise InvalidCrlInput(
            "crl_template", f"not a distribution point template: {template!r}"
        ) from exc
    return IssuingDistributionPoint(url).url  # checks it is an ASCII URI
