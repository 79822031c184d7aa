"""Command line: ``python -m srcore benchmark|data ...``.

``benchmark`` prints mean PSNR/SSIM (Y channel, shave = scale) per dataset and scale and
can write them as JSON records; ``data list|verify|fetch`` shows, checks and downloads
the datasets of the registry.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

from srcore import data

__all__ = ["main"]


def _cmd_benchmark(args: argparse.Namespace) -> int:
    from srcore.runs.benchmark import METHODS, benchmark_table, evaluate

    unknown = [m for m in args.methods if m not in METHODS]
    if unknown:
        print(
            f"error: unknown method(s) {unknown}; known: {sorted(METHODS)}",
            file=sys.stderr,
        )
        return 2
    records, skipped = [], []
    for dataset in args.datasets:
        report = data.verify(dataset, args.data_root, ["HR"])
        if not report.ok:
            skipped.append(dataset)
            print(
                f"skipped {dataset}: {len(report.missing)} missing and "
                f"{len(report.corrupt)} corrupt HR files under {report.root}; "
                f"get it with `python -m srcore data fetch {dataset}` or set "
                "SRCORE_DATA",
                file=sys.stderr,
            )
            continue
        for scale in args.scales:
            for method in args.methods:
                records.append(
                    evaluate(
                        method,
                        dataset,
                        scale,
                        profile=args.profile,
                        data_root=args.data_root,
                        results=args.results,
                        mode=args.mode,
                    )
                )
    if not records:
        print("error: nothing was evaluated", file=sys.stderr)
        return 1
    table = benchmark_table(records)
    cols = ["method", "dataset", "scale", "psnr", "ssim", "n_images"]
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if args.json:
        rows = table[cols].to_dict(orient="records")
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(rows, indent=1) + "\n")
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    if args.action == "list":
        table = data.available(args.data_root)
        print(f"data root: {data.data_root(args.data_root)}")
        print(table.to_string(index=False))
        return 0
    names = args.names or [n for n, i in data.DATASETS.items() if i.files_known]
    if args.action == "fetch":
        for name in names:
            path = data.fetch(name, args.data_root)
            print(f"{name}: ready in {path}")
        return 0
    status = 0
    for name in names:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            report = data.verify(name, args.data_root)
        state = "ok" if report.ok else "INCOMPLETE"
        print(
            f"{name:12s} {state:10s} ok={report.n_ok} missing={len(report.missing)} "
            f"corrupt={len(report.corrupt)}"
        )
        for rel in report.corrupt[:20]:
            print(f"    corrupt: {rel}")
        if not report.ok and args.names:
            status = 1
    return status


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m srcore", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    bench = sub.add_parser("benchmark", help="PSNR/SSIM of methods on benchmark sets")
    bench.add_argument("--methods", nargs="+", default=["bicubic"])
    bench.add_argument("--datasets", nargs="+", default=["Set5", "Set14", "BSD100"])
    bench.add_argument("--scales", nargs="+", type=int, default=[2, 3, 4])
    bench.add_argument(
        "--profile", default="quick", choices=["smoke", "quick", "paper"]
    )
    bench.add_argument("--json", help="write the table as a list of JSON records")
    bench.add_argument("--data-root", help="dataset root (default: $SRCORE_DATA)")
    bench.add_argument("--results", help="results cache folder (default: book/results)")
    bench.add_argument("--mode", choices=["auto", "read", "force"], default=None)
    bench.set_defaults(func=_cmd_benchmark)

    dat = sub.add_parser("data", help="list, verify or fetch datasets")
    dat.add_argument("action", choices=["list", "verify", "fetch"])
    dat.add_argument("names", nargs="*", help="datasets (default: all)")
    dat.add_argument("--data-root", help="dataset root (default: $SRCORE_DATA)")
    dat.set_defaults(func=_cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except data.DatasetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
