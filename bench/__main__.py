"""`make bench`: every benchmark against its peer, the figures in docs/benchmarks.{json,md}.

    python -m bench                 # full run (a few minutes), writes the docs
    python -m bench --quick         # CI smoke run (small sizes, under a minute), prints only
    python -m bench --only notices  # some of them, merged into the docs
    python -m bench --quick --write # a quick run that writes the docs anyway

Each module ``bench/<id>_bench.py`` exposes ``run(quick) -> dict`` (the contract is in
bench/report.py). Modules another issue has not delivered yet are skipped; a module that
raises is reported as failed and the run exits with status 1 after the others ran.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
import traceback
from pathlib import Path

from bench import report

# (issue 7's benchmark number or None, module id), in the order they run: the two CRL
# benchmarks share their entries and openssl's figure, so they run first, one after the other
MODULES: list[tuple[int | None, str]] = [
    (None, "crl"),
    (2, "crl_store"),
    (1, "issuance"),
    (4, "notices"),
    (6, "letters"),
    (3, "ocsp"),
    (5, "api"),
    (None, "api_paced"),  # benchmark 5's paced section, three runs a database (issue 14)
    (None, "ra_api"),  # issue 17: the RA API over mutual TLS against the in-process path
    (None, "prelint"),
    (None, "startup"),
]


def load(module_id: str) -> object | None:
    name = f"bench.{module_id}_bench"
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name == name:
            return None  # not delivered yet
        raise


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (CI smoke run)")
    parser.add_argument(
        "--only", help="comma-separated module ids: " + ", ".join(m for _, m in MODULES)
    )
    parser.add_argument("--write", action="store_true", help="write the docs after a quick run")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--out", type=Path, default=report.DOCS_JSON.parent, help="docs folder")
    args = parser.parse_args(argv)
    wanted = set(args.only.split(",")) if args.only else None
    unknown = (wanted or set()) - {m for _, m in MODULES}
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    results: list[report.Result] = []
    failed = False
    for number, module_id in MODULES:
        if wanted is not None and module_id not in wanted:
            continue
        module = load(module_id)
        if module is None:
            print(f"== {module_id}: bench/{module_id}_bench.py not present, skipped", flush=True)
            continue
        print(f"== {module_id} ({'quick' if args.quick else 'full'}) ...", flush=True)
        t0 = time.perf_counter()
        try:
            res = module.run(args.quick)  # type: ignore[attr-defined]
        except Exception as exc:  # report it, run the others
            traceback.print_exc()
            res = {"id": module_id, "title": module_id, "error": f"{type(exc).__name__}: {exc}"}
            failed = True
        res["seconds"] = time.perf_counter() - t0
        if number is not None:
            res.setdefault("number", number)
        results.append(res)
        report.print_table([res])
        print(f"   ({res['seconds']:.0f} s)", flush=True)
        if module_id == "crl_store":
            from bench import crl_bench

            crl_bench.forget()  # a million entries less in memory for the rest
    report.stop_postgres()
    seconds = time.perf_counter() - started
    print(f"== all done in {seconds:.0f} s")

    results.sort(key=lambda r: (r.get("number") is None, r.get("number") or 0))
    write = (not args.quick or args.write) and not args.no_write
    if write and results:
        args.out.mkdir(parents=True, exist_ok=True)
        report.write_docs(
            results,
            seconds,
            args.quick,
            merge=wanted is not None,
            json_path=args.out / report.DOCS_JSON.name,
            md_path=args.out / report.DOCS_MD.name,
        )
        print(f"wrote {args.out / report.DOCS_JSON.name} and {args.out / report.DOCS_MD.name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
