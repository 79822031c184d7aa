"""Compute the book's missing ``paper`` records within a time budget, then say where
each job stands.

Usage::

    python scripts/paper_runs.py --budget-minutes 120 [--device auto] [--jobs NAME...]
        [--threads 1] [--batch N] [--status]

Jobs (:data:`srcore.chapters.paper_runs.JOBS`) run in their priority order; each is
one resumable record, so an item (image) interrupted by the budget, a crash or the
end of a session is recomputed next time and the items done before it are kept. No
item starts after the deadline (an item started before it may run past it: a
paper-budget ZSSR image takes minutes on a CPU, a DIP image up to an hour). The
records go to ``book/results`` (commit them, at a clean commit: every item records
the commit and dirty flag it started at). On CUDA the ZSSR jobs run ``--batch``
images at once (:func:`srcore.methods.zssr.zssr_many`). ``--status`` only prints
"n of N done".
"""

from __future__ import annotations

import argparse
import time

import torch

from srcore.chapters import paper_runs
from srcore.profiles import resolve_device
from srcore.runs.context import RunContext
from srcore.runs.results import BudgetExhausted


def status(ctx: RunContext) -> None:
    for name in paper_runs.JOBS:
        rec = paper_runs.read(name, ctx)
        total = "?" if rec.total is None else rec.total
        print(f"{name:28s} {rec.done:3d} of {total} done", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget-minutes", type=float, default=60.0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--jobs", nargs="+", choices=list(paper_runs.JOBS))
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
    cuda = resolve_device(args.device).type == "cuda"
    ctx = RunContext(
        profile="paper",
        data_root=args.data_root,
        device=args.device,
        mode="auto",
        deadline=deadline,
        batch=args.batch or (8 if cuda else 1),
    )
    if not args.status:
        for name in args.jobs or list(paper_runs.JOBS):
            if time.time() > deadline:
                break
            print(f"== {name}", flush=True)
            try:
                paper_runs.run(name, ctx)
            except BudgetExhausted as stop:
                print(f"budget spent: {stop}", flush=True)
                break
    status(ctx)


if __name__ == "__main__":
    main()
