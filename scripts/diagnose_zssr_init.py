"""Why quick ZSSR stalls: plain-output gain and reconstruction-error fall per init.

Runs ZSSR (quick profile, fp32, 1 thread) on one test image per init variance and
seed, and prints one JSON line per run: the plain network output's PSNR gain over
bicubic (from the HR, for the diagnosis only), the final gain, and the ratio of the
last to the first reconstruction error (the run's own trace).

    python scripts/diagnose_zssr_init.py BSD100 101087 2 --inits 0.1 1.0 --seeds 0 1 2
"""

from __future__ import annotations

import argparse
import json

import torch

from srcore import protocol
from srcore.methods.zssr import zssr
from srcore.runs.zssr_runs import zssr_config


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dataset")
    p.add_argument("image")
    p.add_argument("scale", type=int)
    p.add_argument("--inits", type=float, nargs="+", default=[0.1, 1.0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--profile", default="quick")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    lr_img, hr = protocol.test_pair(a.dataset, a.image, a.scale, "bicubic", None)
    for init in a.inits:
        for seed in a.seeds:
            cfg = zssr_config("zssr", a.profile, seed=seed, init_variance=init)
            res = zssr(lr_img, a.scale, cfg, hr=hr, device="cpu", progress=False)
            row = protocol.score_row(res.sr, hr, lr_img, a.scale)
            out = {
                "image": f"{a.dataset}/{a.image}",
                "scale": a.scale,
                "init_variance": init,
                "seed": seed,
                "iterations": res.iterations,
                "lr_changes": res.lr_changes,
                "plain_gain": res.trace_psnr[-1] - res.trace_psnr[0],
                "final_gain": row["psnr"] - row["psnr_bicubic"],
                "rec_ratio": res.rec_mse[-1] / res.rec_mse[0],
                "rec_min_ratio": min(res.rec_mse) / res.rec_mse[0],
                "seconds": res.seconds,
            }
            print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
