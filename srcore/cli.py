"""Command line: ``srcore upscale|train|sweep|benchmark|data`` (``python -m srcore``).

``upscale`` super-resolves your own images with any method, optionally scored against
HR images; ``train`` trains a supervised network for it; ``sweep`` runs a notebook
once per combination of parameter values (:mod:`srcore.sweep`); ``benchmark`` prints
mean PSNR/SSIM per dataset and scale; ``data list|verify|fetch`` handles datasets.

Exit status: 0 when done; 2 for bad input, told in one line on stderr, with no output
file left for the image that failed; 1 when a dataset is missing, nothing was
evaluated or a sweep run failed; 130 when interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any, NoReturn

try:  # torch takes seconds to load: a Ctrl-C meanwhile ends as in main()
    import numpy as np
    import torch

    from srcore import data, threads
    from srcore.files import atomic_write
    from srcore.imageops import ImageReadError, load_image, save_image
    from srcore.profiles import PROFILE_NAMES
    from srcore.resize import imresize
    from srcore.upscaling import SUPERVISED, InputError
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    raise SystemExit(130) from None


def _cmd_benchmark(args: argparse.Namespace) -> int:
    from srcore.runs.benchmark import METHODS, benchmark_table, evaluate
    from srcore.runs.context import RunContext

    unknown = [m for m in args.methods if m not in METHODS]
    if unknown:
        print(
            f"error: unknown method(s) {unknown}; known: {sorted(METHODS)}",
            file=sys.stderr,
        )
        return 2
    ctx = RunContext(
        profile=args.profile,
        data_root=args.data_root,
        results=args.results,
        mode=args.mode,
    )
    records = []
    for dataset in args.datasets:
        report = data.verify(dataset, args.data_root, ["HR"])
        if not report.ok:
            print(
                f"skipped {dataset}: {len(report.missing)} missing and "
                f"{len(report.corrupt)} corrupt HR files under {report.root}; "
                f"get it with `python -m srcore data fetch {dataset}` or set "
                "SRCORE_DATA",
                file=sys.stderr,
            )
            continue
        for scale in args.scales:
            records += [evaluate(m, dataset, scale, ctx) for m in args.methods]
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


def _progress() -> bool:
    return sys.stderr.isatty()


def _cmd_train(args: argparse.Namespace) -> int:
    from srcore.trained import train

    if not _progress():  # a log file: the bar redrawn every 30 s, as lines
        from srcore.training import loop

        loop.PROGRESS_INTERVAL = 30.0
        print(
            f"training {args.method} x{args.scale:g} ({args.profile}); progress every "
            "30 s on stderr",
            flush=True,
        )
    path = train(
        args.method,
        args.scale,
        args.profile,
        device=args.device,
        data_root=args.data_root,
        progress=True,
    )
    print(f"saved {args.method} x{args.scale:g} ({args.profile}) weights: {path}")
    print(
        f"use them: srcore upscale IMAGE --scale {args.scale:g} --method "
        f"{args.method} --profile {args.profile} -o OUT.png"
    )
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    import signal

    # SIGTERM (a scheduler's time limit, `kill`) stops the runs as Ctrl-C does.
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return _sweep(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _sweep(args: argparse.Namespace) -> int:
    from srcore import sweep as sw

    out = Path(args.out or Path("_build") / "sweeps" / Path(args.notebook).stem)
    try:
        fixed = {name: sw.parse_value(value) for name, value in args.parameters or []}
        grid = {n: [sw.parse_value(v) for v in vs] for n, *vs in args.grid or []}
        rows = sw.sweep(
            args.notebook,
            fixed,
            grid,
            out,
            backend=args.backend,
            jobs=args.jobs,
            address=args.address,
            progress=_progress(),
        )
    except (ValueError, ImportError) as err:
        raise InputError(str(err)) from None
    except sw.SweepCancelled as stop:
        print(sw.summary(stop.runs), file=sys.stderr)
        print(
            "interrupted; the same command finishes the rest (index: "
            f"{out.resolve() / 'sweep.json'})",
            file=sys.stderr,
        )
        if stop.hard_exit:  # Ray killed, perhaps halfway through its start
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        return 130
    print(sw.summary(rows))
    print(f"index: {out.resolve() / 'sweep.json'}")
    return 1 if any(r["status"] == "failed" for r in rows) else 0


def _read(path: Path) -> torch.Tensor:
    """``load_image`` keeping grey; its warnings (alpha dropped) as one line each."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        img = load_image(path, keep_grey=True)
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    return img


def _parse_tile(tile: str) -> int | None:
    if tile == "auto":
        return None
    try:
        return int(tile)
    except ValueError:
        raise InputError(f"--tile must be 'auto' or an integer, got {tile!r}") from None


def _cmd_upscale(args: argparse.Namespace) -> int:
    from tqdm.auto import tqdm

    from srcore import imagefiles as files
    from srcore import upscaling as up
    from srcore.protocol import score_row
    from srcore.trained import load_network

    try:
        scale = up.check_scale(up.check_method(args.method), args.scale)
        if args.kernel and args.method != "zssr":
            raise InputError("--kernel is only used by --method zssr")
        if args.seed != 0 and args.method not in ("zssr", "dip"):
            raise InputError("--seed is only used by --method zssr and dip")
        if args.weights and args.method not in SUPERVISED:
            raise InputError(f"--weights is only for {', '.join(SUPERVISED)}")
        tile = _parse_tile(args.tile)
        up.check_device(args.device)
    except InputError as err:
        more = ", ..." if len(args.inputs) > 1 else ""
        raise InputError(f"{args.inputs[0]}{more}: {err}") from None
    inputs, folder = files.input_files(args.inputs)
    outputs = files.output_files(
        inputs,
        Path(args.output),
        folder=folder,
        raw=args.output,
        fmt=args.format,
        suffix=args.suffix,
    )
    if args.depth == 16 and any(d.suffix.lower() != ".png" for d in outputs):
        raise InputError("--depth 16 writes PNG only: name the output .png")
    outscale = args.outscale
    if outscale is not None and outscale <= 0:
        raise InputError(f"--outscale must be positive, got {outscale:g}")
    if outscale is not None and args.hr and outscale != scale:
        raise InputError("--hr scores the method's own output: leave out --outscale")
    estimate = args.kernel == "estimate"
    if estimate and scale not in up.ESTIMATE_SCALES:
        raise InputError(f"--kernel estimate works at x2 and x4, not x{scale:g}")
    kernel = up.load_kernel(args.kernel) if args.kernel and not estimate else None
    # Every input is checked on its own: a bad one is named at the end and the good
    # ones are still written (exit status 2 if any was bad).
    jobs, failed = [], []
    for path, dst, h in zip(
        inputs, outputs, files.hr_files(args.hr, inputs), strict=True
    ):
        try:
            img = _read(path)
            try:
                up.check_size(args.method, img, scale, kernel)
                if estimate:
                    up.check_estimate_size(img, args.profile)
            except InputError as err:
                raise InputError(f"{path}: {err}") from None
            hr = (
                None
                if h is None
                else files.reference(_read(h), img.shape[-2:], scale, h)
            )
        except (InputError, ImageReadError) as err:
            failed.append(" ".join(str(err).splitlines()))
            continue
        jobs.append((path, dst, img, hr))
    if args.skip_existing:
        for path, dst, *_ in [j for j in jobs if j[1].exists()]:
            print(f"{path} -> {dst}  (skipped: exists)", flush=True)
        jobs = [j for j in jobs if not j[1].exists()]
    if args.profile == "smoke" and args.method not in ("bicubic",):
        print(
            "warning: the smoke profile only tests the plumbing: its output is not "
            "super-resolution (use --profile quick or paper)",
            file=sys.stderr,
        )
    network = None
    if args.method in SUPERVISED and jobs:
        network = load_network(
            args.method,
            scale,
            args.profile,
            args.weights,
            device=args.device,
            tile=tile,
        )
    quiet = not _progress() or len(jobs) == 1

    def run(img: torch.Tensor, kernel: np.ndarray | None) -> torch.Tensor:
        return up.upscale(
            img,
            scale,
            args.method,
            profile=args.profile,
            kernel=kernel,
            network=network,
            device=args.device,
            progress=_progress(),
            seed=args.seed,
        )

    for src, dst, img, hr in tqdm(jobs, desc="images", disable=quiet):
        t0 = time.perf_counter()
        if estimate:
            kernel = up.estimate_kernel(
                img, scale, args.profile, device=args.device, progress=_progress()
            )
        sr = run(img, kernel)
        check = None
        if estimate:  # judged against ZSSR without it (up.check_estimate)
            plain = run(img, None)
            check = up.check_estimate(sr, plain, img, scale)
            if not check["credible"]:
                print(
                    f"warning: {src}: estimated kernel rejected ({check['reason']}); "
                    "the output is ZSSR's without it (bicubic kernel)",
                    file=sys.stderr,
                )
                sr = plain
        if outscale is not None and outscale != scale:  # MATLAB bicubic to the size
            h, w = img.shape[-2:]
            size = (round(h * outscale), round(w * outscale))
            sr = imresize(sr.float(), size=size).clamp(0, 1)
        seconds = time.perf_counter() - t0
        try:
            save_image(sr.float(), dst, depth=args.depth)
        except OSError as err:
            raise InputError(f"{dst}: cannot write ({err.strerror or err})") from None
        row: dict[str, Any] = {
            "input": str(src),
            "output": str(dst),
            "method": args.method,
            "scale": scale,
            "seconds": round(seconds, 3),
        }
        if estimate:
            kernel_file = dst.with_suffix(".kernel.npy")
            atomic_write(kernel_file, lambda fh, k=kernel: np.save(fh, k))
            row["kernel"] = str(kernel_file)
            row["kernel_used"] = "estimate" if check["credible"] else "bicubic"
            row["kernel_check"] = check
        if hr is not None:
            row.update(score_row(sr, hr, img, scale))
        print(json.dumps(row) if args.json else _line(row), flush=True)
    for message in failed:
        print(f"error: {message}", file=sys.stderr)
    if failed and len(inputs) > 1:
        print(
            f"error: {len(failed)} of {len(inputs)} inputs not written (above)",
            file=sys.stderr,
        )
    return 2 if failed else 0


def _line(row: dict[str, Any]) -> str:
    text = f"{row['input']} -> {row['output']}  ({row['seconds']:.1f} s)"
    if "psnr" in row:
        text += (
            f"  PSNR {row['psnr']:.2f} dB  SSIM {row['ssim']:.4f}  "
            f"(bicubic {row['psnr_bicubic']:.2f} dB, {row['ssim_bicubic']:.4f})"
        )
    return text


class _Parser(argparse.ArgumentParser):
    """Usage errors become one-line :class:`InputError` s (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        raise InputError(f"{self.prog}: {message} (see `{self.prog} --help`)")


def _add_upscale(sub: Any) -> None:
    p = sub.add_parser(
        "upscale", help="super-resolve your own images (8-bit PNG, JPEG or WebP)"
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files or folders")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="a .png, .jpg or .webp file (one input) or a folder (made if missing)",
    )
    p.add_argument("--scale", type=float, required=True, help="upscaling factor")
    p.add_argument(
        "--method",
        required=True,
        help="bicubic, srcnn, vdsr, srresnet, "
        "srgan, lapsrn (trained: see `srcore train`), zssr or dip",
    )
    p.add_argument(
        "--profile",
        default="quick",
        choices=PROFILE_NAMES,
        help="zssr/dip compute, or which trained weights (default: quick)",
    )
    p.add_argument(
        "--kernel",
        metavar="FILE|estimate",
        help="zssr: the blur kernel (.npy/.mat, sums to 1), or 'estimate' to estimate "
        "it from each image with KernelGAN (x2/x4; saved as OUT.kernel.npy)",
    )
    p.add_argument("--weights", metavar="FILE", help="trained weights (.pt state dict)")
    p.add_argument(
        "--tile",
        default="auto",
        help="'auto' or the tile side in network-input pixels (>= 64)",
    )
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument(
        "--seed",
        type=int,
        default=0,
        help="zssr/dip: the random stream of the run (default 0)",
    )
    p.add_argument(
        "--hr",
        action="append",
        metavar="HR",
        help="HR image per input (repeat) or a folder of same-named images",
    )
    p.add_argument("--json", action="store_true", help="print one JSON line per image")
    p.add_argument(
        "--outscale",
        type=float,
        metavar="F",
        help="final size F x the input's, the method's output resized to it with "
        "MATLAB bicubic (default: the method's scale)",
    )
    p.add_argument(
        "--format",
        default="png",
        choices=["png", "jpg", "webp"],
        help="file type of outputs written into a folder (8-bit; a single output "
        "file takes its name's suffix)",
    )
    p.add_argument(
        "--depth",
        type=int,
        default=8,
        choices=[8, 16],
        help="bits per sample of the output: 16 keeps the method's float output "
        "finer (PNG only; networks that round to 8 bits gain nothing)",
    )
    p.add_argument(
        "--suffix",
        default="",
        help="added to each name written into a folder: IMAGE<suffix>.<format>",
    )
    p.add_argument(
        "--skip-existing",
        action="store_true",
        help="leave an output that already exists as it is (default: overwrite it)",
    )
    _add_threads(p)
    p.set_defaults(func=_cmd_upscale)


def _add_threads(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="CPU threads to use (default: $OMP_NUM_THREADS, else every core); give "
        "each of several processes side by side its share",
    )


def _version() -> str:
    """The installed package's version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("srcore")
    except PackageNotFoundError:  # run from a source tree without installing
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    """The ``srcore`` argument parser (its usage errors raise :class:`InputError`)."""
    parser = _Parser(
        prog="srcore",
        description="Single-image super-resolution: upscale your own images, train "
        "networks for it, benchmark methods, list and fetch datasets.",
        epilog="Exit status: 0 done, 2 bad input (one line on stderr), 1 missing "
        "dataset or nothing evaluated.",
    )
    parser.add_argument("--version", action="version", version=f"srcore {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_upscale(sub)

    train = sub.add_parser("train", help="train a supervised network for `upscale`")
    train.add_argument("method", help=", ".join(SUPERVISED))
    train.add_argument("--scale", type=float, required=True)
    train.add_argument("--profile", default="quick", choices=PROFILE_NAMES)
    train.add_argument("--device", default="auto")
    train.add_argument("--data-root", help="dataset root (default: $SRCORE_DATA)")
    _add_threads(train)
    train.set_defaults(func=_cmd_train)

    swp = sub.add_parser(
        "sweep", help="run a notebook once per combination of parameter values"
    )
    swp.add_argument("notebook", help="the .ipynb to run (it has a parameters cell)")
    swp.add_argument(
        "-p",
        "--parameter",
        dest="parameters",
        nargs=2,
        action="append",
        metavar=("NAME", "VALUE"),
        help="a parameter fixed for every run (YAML value, as papermill -y)",
    )
    swp.add_argument(
        "--grid",
        nargs="+",
        action="append",
        metavar="NAME V1",
        help="a parameter and the values to sweep (repeat for a product)",
    )
    swp.add_argument("--backend", choices=["local", "ray"], default="local")
    swp.add_argument("--address", help="a Ray cluster to join (default: start one)")
    swp.add_argument(
        "--jobs", type=int, help="runs at a time (local default 1; Ray: its CPUs)"
    )
    swp.add_argument(
        "--out", help="output folder (default: _build/sweeps/<notebook name>)"
    )
    swp.set_defaults(func=_cmd_sweep)

    bench = sub.add_parser("benchmark", help="PSNR/SSIM of methods on benchmark sets")
    bench.add_argument("--methods", nargs="+", default=["bicubic"])
    bench.add_argument("--datasets", nargs="+", default=["Set5", "Set14", "BSD100"])
    bench.add_argument("--scales", nargs="+", type=int, default=[2, 3, 4])
    bench.add_argument("--profile", default="quick", choices=PROFILE_NAMES)
    bench.add_argument("--json", help="write the table as a list of JSON records")
    bench.add_argument("--data-root", help="dataset root (default: $SRCORE_DATA)")
    bench.add_argument("--results", help="results cache folder (default: book/results)")
    bench.add_argument("--mode", choices=["auto", "read", "force"], default=None)
    _add_threads(bench)
    bench.set_defaults(func=_cmd_benchmark)

    dat = sub.add_parser("data", help="list, verify or fetch datasets")
    dat.add_argument("action", choices=["list", "verify", "fetch"])
    dat.add_argument("names", nargs="*", help="datasets (default: all)")
    dat.add_argument("--data-root", help="dataset root (default: $SRCORE_DATA)")
    dat.set_defaults(func=_cmd_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one command; returns the exit status (see the module docstring).

    Example:
        >>> main(["upscale", "missing.png", "--scale", "2", "--method", "bicubic",
        ...       "-o", "out.png"])
        2
    """
    try:
        args = build_parser().parse_args(argv)
        if getattr(args, "threads", None) is not None:
            if args.threads < 1:
                raise InputError(f"--threads must be at least 1, got {args.threads}")
            threads.apply(args.threads)
        return args.func(args)
    except (InputError, ImageReadError) as err:
        print(f"error: {' '.join(str(err).splitlines())}", file=sys.stderr)
        return 2
    except data.DatasetError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
