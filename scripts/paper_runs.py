"""The book's queue of long runs: compute the missing records within a time budget,
then say where each job stands.

Usage::

    python scripts/paper_runs.py --budget-minutes 170 [--device auto] [--jobs NAME...]
        [--groups a b ...] [--threads N] [--batch N] [--status]

Jobs (:data:`paper_jobs.JOBS`: ``scripts/paper_jobs.py``, the job list beside this
script; groups a to f) run in their order; each is one resumable record, so an item
(image) interrupted by the budget, a crash or the end of a session is recomputed
next time and the items done before it are kept. No item starts after the deadline
(one started before it may run past it). Run it from a clean ``git worktree`` of
main: every item records the commit and dirty flag it started at, and a record made
at a dirty commit may not be committed. Its records land in that worktree's
``book/results``; copy them to main and commit them as they land.

On a CPU without native bf16 (:func:`srcore.precision.cpu_has_native_bf16`) a
``paper`` job would run fp32 at several times the cost: the queue then runs only
the jobs that ask for fp32 or the ``quick`` profile, and says so. On CUDA the ZSSR
jobs run ``--batch`` images at once. ``--status`` only prints, per job, ``n of N``
and the CPU minutes left by estimate, and the total.
"""

from __future__ import annotations

import argparse
import time

import paper_jobs
import torch

from srcore.precision import cpu_has_native_bf16
from srcore.profiles import resolve_device
from srcore.runs.context import RunContext
from srcore.runs.results import BudgetExhausted


def print_status(ctx: RunContext) -> None:
    """``n of N done`` per job, the minutes left by estimate, and their totals."""
    table = paper_jobs.status(ctx)
    for r in table.itertuples():
        how = "measured" if r.measured else "prior"
        print(
            f"{r.job:34s} {r.group} {r.profile:5s} {r.done:3d} of {r.total} done"
            f"  ~{r.minutes_left:6.0f} CPU-min left ({r.min_per_image:.1f}/image, "
            f"{how})",
            flush=True,
        )
    for group, part in table.groupby("group"):
        print(
            f"group {group}: {part.done.sum()} of {part.total.sum()} images, "
            f"~{part.minutes_left.sum() / 60:.1f} CPU-hours left",
            flush=True,
        )
    print(f"all: ~{table.minutes_left.sum() / 60:.1f} CPU-hours left", flush=True)


def runnable(name: str, device: torch.device) -> str | None:
    """Why job ``name`` does not run on ``device`` (``None``: it runs)."""
    job = paper_jobs.JOBS[name]
    if device.type == "cpu" and job.profile == "paper" and not job.fp32:
        if not cpu_has_native_bf16():
            return (
                "this CPU has no native bf16 (no avx512_bf16/amx_bf16 flag): a paper "
                "job would run fp32 at several times the cost; run it on a CPU with "
                "bf16 or a GPU"
            )
    return None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget-minutes", type=float, default=60.0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--jobs", nargs="+", choices=list(paper_jobs.JOBS))
    parser.add_argument("--groups", nargs="+", choices=list("abcdef"))
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--batch",
        type=int,
        default=None,
        help="ZSSR images at once (default: 8 on "
        "CUDA, 1 on the CPU, where batching saves nothing)",
    )
    parser.add_argument("--data-root", default=None)
    parser.add_argument("--status", action="store_true")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    deadline = time.time() + 60 * args.budget_minutes
    device = resolve_device(args.device)
    ctx = RunContext(
        profile="paper",
        data_root=args.data_root,
        device=args.device,
        mode="auto",
        deadline=deadline,
        batch=args.batch or (8 if device.type == "cuda" else 1),
    )
    names = args.jobs or [
        n
        for n, j in paper_jobs.JOBS.items()
        if not args.groups or j.group in args.groups
    ]
    if not args.status:
        for name in names:
            if time.time() > deadline:
                break
            why = runnable(name, device)
            if why is not None:
                print(f"== {name}: not run: {why}", flush=True)
                continue
            if paper_jobs.read(name, ctx).complete:
                continue
            print(f"== {name}", flush=True)
            try:
                paper_jobs.run(name, ctx)
            except BudgetExhausted as stop:
                print(f"budget spent: {stop}", flush=True)
                break
    print_status(ctx)


if __name__ == "__main__":
    main()
