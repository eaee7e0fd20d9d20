"""`make bench`: the benchmarks measured so far (see docs/benchmarks.md).

Each prints its figures beside its peer's from the same run.
"""

from __future__ import annotations

import sys

from bench import crl_bench


def main() -> None:
    quick = "--quick" in sys.argv[1:]
    sys.argv = [sys.argv[0], "100000" if quick else "1000000"]
    print("== CRL publication: madoguchi's streaming writer vs openssl ca -gencrl ==")
    crl_bench.main()


if __name__ == "__main__":
    main()
