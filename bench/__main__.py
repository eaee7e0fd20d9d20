"""`make bench`: nothing is measured yet; the benchmark issue fills this in."""

from __future__ import annotations


def main() -> None:
    print("no benchmarks yet: see docs/benchmarks.md")


if __name__ == "__main__":
    main()
