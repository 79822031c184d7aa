"""Training processes side by side on the same cores: each one's speed against one
alone, with torch's default threads and with srcore's share, as ratios in one run.

Usage::

    python benchmarks/threads.py [--seconds 20] [--jobs 2] [--json out.json]

The workload is a supervised training step, SRCNN (9-1-5, 64/32 maps) on a batch of
16 random 33×33 patches with Adam, in its own process, for ``--seconds`` after
three warm-up steps; its speed is steps per second. Three settings, each run on
its own: one process alone (torch's default threads: every core), ``--jobs``
processes at once with the default threads (what two ``srcore train`` or a sweep's
runs did before issue 25: every process takes every core), and ``--jobs`` processes
at once with ``OMP_NUM_THREADS`` set to :func:`srcore.threads.share` (what a local
``srcore sweep --jobs N`` now gives each run, and what ``--threads`` sets). Issue 25
asks each of two jobs to keep at least half its speed alone. Run it on an idle
machine: another busy process changes every number.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from srcore import threads

WORKER = """
import sys, time, torch
from srcore.methods.srcnn import SRCNN
seconds = float(sys.argv[1])
torch.manual_seed(0)
net = SRCNN()
opt = torch.optim.Adam(net.parameters(), 1e-4)
x, y = torch.rand(16, 1, 33, 33), torch.rand(16, 1, 33, 33)
def step():
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(net(x), y)
    loss.backward()
    opt.step()
for _ in range(3):
    step()
n, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < seconds:
    step()
    n += 1
print(n / (time.perf_counter() - t0), torch.get_num_threads())
"""


def run(jobs: int, seconds: float, env: dict[str, str]) -> list[tuple[float, int]]:
    """``jobs`` workers at once; their (steps per second, threads)."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(seconds)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(jobs)
    ]
    out = []
    for p in procs:
        speed, n = p.communicate()[0].split()
        out.append((float(speed), int(n)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--json", help="write the rows to this file")
    args = parser.parse_args()
    base = {k: v for k, v in os.environ.items() if k not in threads.VARIABLES}
    settings = [
        ("1 process alone, default threads", 1, base),
        (f"{args.jobs} at once, default threads", args.jobs, base),
        (
            f"{args.jobs} at once, srcore's share",
            args.jobs,
            threads.child_env(args.jobs, base),
        ),
    ]
    rows, alone = [], None
    print(f"{threads.cores()} cores; SRCNN training steps per second, per process")
    print(f"{'setting':40s} {'threads':>7s} {'steps/s each':>14s} {'vs alone':>9s}")
    for name, jobs, env in settings:
        results = run(jobs, args.seconds, env)
        speeds = [s for s, _ in results]
        alone = alone or speeds[0]
        each = " ".join(f"{s:.1f}" for s in speeds)
        ratio = min(speeds) / alone
        print(f"{name:40s} {results[0][1]:7d} {each:>14s} {ratio:8.2f}x")
        rows.append(
            {
                "setting": name,
                "jobs": jobs,
                "threads": results[0][1],
                "steps_per_s": speeds,
                "slowest_vs_alone": ratio,
            }
        )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"cores": threads.cores(), "rows": rows}, fh, indent=1)


if __name__ == "__main__":
    main()
