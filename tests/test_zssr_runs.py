"""ZSSR/OSR records for reports 000/001: smoke runs, stream transfer, tables, and the
committed quick results' acceptance checks."""

from __future__ import annotations

import pandas as pd
import pytest
import torch

from srcore.chapters import tables, zssr_tables
from srcore.methods.zssr import ZSSRConfig
from srcore.runs import zssr_experiments, zssr_runs
from srcore.runs.context import RunContext
from srcore.runs.results import RunRecord, load_records


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SRCORE_CACHE", str(tmp_path / "cache"))


def test_zssr_run_smoke_scores_each_image_and_reloads(data_dir, tmp_path):
    res = tmp_path / "results"
    ctx = RunContext("smoke", data_root=data_dir, results=res, progress=False)
    rec = zssr_runs.zssr_run("Set5", 2, ctx, limit=2)
    assert [r["image"] for r in rec.per_image] == ["Set5/baby", "Set5/bird"]
    row = rec.per_image[0]
    assert row["trace_iters"][0] == 0 and row["iterations"] > 0
    assert row["psnr"] > 0 and row["psnr_bicubic"] > 0
    again = zssr_runs.zssr_run("Set5", 2, ctx.replace(mode="read"), limit=2)
    assert again.per_image == rec.per_image


@pytest.mark.parametrize("flag", ["true_kernel", "estimated_kernel"])
def test_a_given_kernel_needs_a_kernel_degradation(data_dir, flag):
    with pytest.raises(ValueError, match="need a kernel degradation"):
        zssr_runs.zssr_run(
            "Set5", 2, RunContext("smoke", data_root=data_dir), **{flag: True}
        )


def test_the_true_and_the_estimated_kernel_exclude_each_other(data_dir):
    with pytest.raises(ValueError, match="exclude each other"):
        zssr_runs.zssr_run(
            "BSD100", 2, RunContext("smoke", data_root=data_dir),
            degradation="random_kernel", true_kernel=True, estimated_kernel=True,
        )  # fmt: skip


def test_random_kernel_runs_label_their_kernel(data_dir, tmp_path):
    res = tmp_path / "results"
    ctx = RunContext("smoke", data_root=data_dir, results=res, progress=False)
    recs = [
        zssr_runs.zssr_run(
            "BSD100", 2, ctx, limit=1, degradation="random_kernel", true_kernel=t
        )
        for t in (True, False)
    ]
    labels = list(zssr_tables.summary(recs).method)
    assert labels == ["ZSSR, true kernel", "ZSSR, assumes bicubic"]
    assert recs[0].per_image[0]["psnr_bicubic"] == recs[1].per_image[0]["psnr_bicubic"]


def test_osr_transfers_weights_and_resumes_from_the_cache(
    data_dir, tmp_path, monkeypatch
):
    res = tmp_path / "results"
    seen = []
    real = zssr_runs.zssr

    def spy(*args, init_state=None, **kwargs):
        seen.append(init_state is not None)
        return real(*args, init_state=init_state, **kwargs)

    monkeypatch.setattr(zssr_runs, "zssr", spy)
    ctx = RunContext("smoke", data_root=data_dir, results=res, progress=False)
    online = zssr_runs.osr_run("Set5", 2, ctx, transfer=True, limit=3)
    assert seen == [False, True, True]
    seen.clear()
    scratch = zssr_runs.osr_run("Set5", 2, ctx, transfer=False, limit=3)
    assert seen == [False, False, False]
    # Image 0 is the same run in both (same seed, random init).
    assert online.per_image[0]["psnr"] == pytest.approx(scratch.per_image[0]["psnr"])
    speed = zssr_tables.iterations_to_match(scratch, online)
    assert list(speed.position) == [0, 1, 2]
    assert (speed.iters_scratch.notna()).all()
    last = online.per_image[-1]["image"]
    views = tables.crop_views([scratch, online], last, data_root=data_dir, results=res)
    assert list(views) == [
        "bicubic",
        "ZSSR from scratch",
        "OSR (weight transfer)",
        "HR",
    ]
    assert len({tuple(v.shape) for v in views.values()}) == 1


def test_external_modes_start_from_cached_pretrained_weights(
    data_dir, tmp_path, monkeypatch
):
    from srcore.methods import osr

    res = tmp_path / "results"
    starts, pretrained = [], []
    real_zssr, real_pretrain = zssr_runs.zssr, osr.pretrain_external

    def spy(*args, init_state=None, **kwargs):
        starts.append(None if init_state is None else init_state["convs.0.weight"])
        return real_zssr(*args, init_state=init_state, **kwargs)

    def count(*args, **kwargs):
        pretrained.append(1)
        return real_pretrain(*args, **kwargs)

    monkeypatch.setattr(zssr_runs, "zssr", spy)
    monkeypatch.setattr(zssr_runs, "pretrain_external", count)
    ctx = RunContext("smoke", data_root=data_dir, results=res, progress=False)
    runs = zssr_experiments.external_runs("Set5", 2, "T91", ctx=ctx)
    assert len(pretrained) == 1, "the T91 weights are trained once, then cached"
    ext_w = starts[0]
    assert all(w is not None for w in starts)
    # ext and ext/ftune start every image from the external weights, ext/online
    # only its first image.
    assert torch.equal(starts[1], ext_w) and torch.equal(starts[3], ext_w)
    assert torch.equal(starts[4], ext_w) and not torch.equal(starts[5], ext_w)
    labels = [tables.label(r) for r in runs]
    assert labels == ["ZSSR/ext", "ZSSR/ext/ftune", "ZSSR/ext/online"]
    assert [r["iterations"] for r in runs[0].per_image] == [0, 0]
    assert all(r["iterations"] > 0 for r in runs[1].per_image)
    # Re-reading needs no pretraining and finds the same record.
    again = zssr_runs.osr_run(
        "Set5", 2, ctx.replace(mode="read"), transfer=True, limit=2, external="T91"
    )
    assert again.key == runs[2].key and len(pretrained) == 1
    with pytest.raises(ValueError, match="adapt=False"):
        zssr_runs.osr_run(
            "Set5", 2, ctx, transfer=True, limit=2, adapt=False, external="T91"
        )


def test_vdsr_backbone_starts_zssr_from_the_pretrained_rgb_vdsr(data_dir, tmp_path):
    from srcore.methods.vdsr import VDSR
    from srcore.runs import supervised

    ctx = RunContext("smoke", data_root=data_dir, results=tmp_path, progress=False)
    rec = zssr_runs.zssr_run("Set5", 2, ctx, backbone="vdsr", max_iters=0, limit=1)
    assert tables.label(rec) == "VDSR pre-trained on BSD200, no internal training"
    pre = supervised.run(
        "vdsr",
        2,
        ctx.replace(mode="read"),
        eval_sets=zssr_runs.VDSR_EVAL_SETS,
        scales=(2,),
        **zssr_runs.VDSR_BACKBONE,
    )
    assert rec.config["backbone"] == {"name": "vdsr", "record": pre.key}
    assert pre.config["model"]["channels"] == 3
    assert pre.config["model"]["scales"] == [2]
    factory, state = zssr_runs.vdsr_backbone(pre, ctx)
    net = factory()
    assert isinstance(net, VDSR) and net.channels == 3
    net.load_state_dict(state)
    # With no internal training the output is the pre-trained VDSR's own (before
    # ZSSR's self-ensemble and back-projection), so it differs from bicubic.
    row = rec.per_image[0]
    assert row["iterations"] == 0 and row["psnr"] != row["psnr_bicubic"]
    plain = zssr_runs.zssr_run("Set5", 2, ctx, max_iters=0, limit=1)
    assert plain.key != rec.key
    with pytest.raises(ValueError, match="backbone"):
        zssr_runs.zssr_run("Set5", 2, ctx, backbone="edsr", limit=1)


def _fake(trace: list[float], transfer: bool) -> RunRecord:
    row = {"image": "X/a", "trace_iters": [0, 50, 100], "trace_psnr": trace}
    config = {"method": "osr", "transfer": transfer, "dataset": "X", "scale": 2}
    return RunRecord("k", "osr", config, [row])


def test_iterations_to_match_counts_the_first_traced_hit():
    speed = zssr_tables.iterations_to_match(
        _fake([30.0, 31.0, 32.0], False), _fake([31.5, 32.1, 32.3], True)
    )
    assert speed.loc[0, "iters_scratch"] == 100 and speed.loc[0, "iters_online"] == 50
    assert speed.loc[0, "saved"] == 50


# ----------------------------------------------------------- committed quick results


def _quick(method: str, **match) -> list[RunRecord]:
    """The committed quick records of the book's main runs matching ``match``: seed
    0, srcore's init (the seed-spread and init-comparison runs are left out)."""
    default_init = ZSSRConfig().init_variance
    return [
        r
        for r in load_records(method)
        if r.config.get("profile") == "quick"
        and r.config["model"]["seed"] == 0
        and r.config["model"]["init_variance"] == default_init
        and all(r.config.get(k) == v for k, v in match.items())
    ]


def test_committed_quick_zssr_gains_2_5db_on_set5_x2():
    (rec,) = _quick(
        "zssr", dataset="Set5", scale=2, variant="zssr", degradation="bicubic"
    )
    frame = pd.DataFrame(rec.per_image)
    assert len(frame) == 5
    gain = (frame.psnr - frame.psnr_bicubic).mean()
    assert gain >= 2.5, f"quick ZSSR gains only {gain:.2f} dB on Set5 x2"


def test_committed_true_kernel_beats_assumed_bicubic():
    """At every committed scale, on the same random-kernel images."""
    common = dict(dataset="BSD100", degradation="random_kernel", variant="zssr")
    plain = [
        r
        for r in _quick("zssr", **common)
        if r.config["backbone"] is None and not r.config.get("kernel_estimate")
    ]
    settings = {(r.config["scale"], r.config["limit"]) for r in plain}
    assert 2 in {scale for scale, _ in settings}
    for scale, limit in settings:
        same = [r for r in plain if (r.config["scale"], r.config["limit"]) == (
            scale, limit)]  # fmt: skip
        true_k = [r for r in same if r.config["true_kernel"]]
        assumed = [r for r in same if not r.config["true_kernel"]]
        assert len(true_k) == len(assumed) == 1, (scale, limit)
        a, b = pd.DataFrame(true_k[0].per_image), pd.DataFrame(assumed[0].per_image)
        assert list(a.image) == list(b.image)
        assert a.psnr.mean() > b.psnr.mean(), scale


def test_committed_osr_needs_fewer_iterations_than_scratch():
    (scratch,) = _quick("osr", transfer=False, external=None)
    (online,) = _quick("osr", transfer=True, external=None)
    speed = zssr_tables.iterations_to_match(scratch, online)
    later = speed[speed.position > 0]
    big = 10**9
    faster = (later.iters_online.fillna(big) < later.iters_scratch.fillna(big)).sum()
    assert faster > len(later) / 2, speed


#: How far a re-run of a committed ZSSR image may land from its record: twice the
#: largest cross-CPU difference measured (see the test's docstring).
RERUN_TOL_DB = 0.15


@pytest.mark.parametrize(
    ("dataset", "image", "variant"),
    # Set5's bird is left out: test_cli runs the same quick ZSSR on it (beating
    # bicubic), and CI's 30 minutes do not hold a second copy of that run.
    [("T91", "t1", "zssr_mse")],
    ids=["chapter-000-table1-mse"],
)
def test_rerun_reproduces_a_committed_zssr_image(data_dir, dataset, image, variant):
    """One image of a committed quick record (report 001's Set5 x2, report 000's
    Table 1), re-run from scratch: within RERUN_TOL_DB.

    On the machine and thread count that made a record, a re-run is bit-identical.
    Across CPUs it is not: the records were made on an AMD EPYC whose kernels round
    differently from the one these tests ran on when the records were migrated
    (2026-12-01), and the quick run's lr policy then drops its rate at other
    iterations: bird 41.371 vs 41.308 dB, t1 34.530 vs 34.595 dB (±0.064 dB)."""
    import dataclasses

    from srcore.methods.zssr import ZSSRConfig, zssr
    from srcore.protocol import test_pair

    (rec,) = _quick(
        "zssr", dataset=dataset, scale=2, variant=variant, degradation="bicubic"
    )
    k, row = next(
        (i, r)
        for i, r in enumerate(rec.per_image)
        if r["image"] == f"{dataset}/{image}"
    )
    cfg = ZSSRConfig(
        **{
            key: tuple(v) if isinstance(v, list) else v
            for key, v in rec.config["model"].items()
        }
    )
    lr_img, hr = test_pair(dataset, image, 2, "bicubic", data_dir)
    torch.manual_seed(0)
    out = zssr(
        lr_img,
        2,
        dataclasses.replace(cfg, seed=cfg.seed + k),
        hr=hr,
        device="cpu",
        progress=False,
    )
    assert out.psnr == pytest.approx(row["psnr"], abs=RERUN_TOL_DB)


def test_the_chapters_runs_ask_for_the_committed_records(data_dir, monkeypatch):
    """Chapter 01's run sets, in read mode: the ideal runs in (set, scale) order with
    the gradual x4 beside x4, and per non-ideal scale the true kernel first, then
    assuming bicubic, then the variants on the same images."""
    from srcore.runs import zssr_experiments

    monkeypatch.setenv("SRCORE_RESULTS_MODE", "read")
    ctx = RunContext("quick", data_root=data_dir, progress=False)
    ideal = zssr_experiments.ideal_runs(["Set5"], [2, 3, 4], [4], ctx=ctx)
    assert [r.config["scale"] for r in ideal] == [2, 3, 4, 4]
    assert ["gradual" in tables.label(r) for r in ideal] == [False] * 3 + [True]
    base, extra = zssr_experiments.nonideal_runs(
        2, 2, ["pixelshuffle"], vdsr_backbone=True, ctx=ctx
    )
    assert [tables.label(r) for r in base] == [
        "ZSSR, true kernel",
        "ZSSR, assumes bicubic",
    ]
    assert len(extra) == 3
    images = {tuple(r["image"] for r in rec.per_image) for rec in [*base, *extra]}
    assert len(images) == 1


def test_a_batched_run_equals_the_one_by_one_run(data_dir, tmp_path):
    """ctx.batch > 1 computes a ZSSR record's images N at once (zssr_many): the same
    rows, seeds and crops as one by one, up to float rounding."""
    one = RunContext(
        "smoke", data_root=data_dir, results=tmp_path / "a", progress=False
    )
    many = one.replace(results=tmp_path / "b", batch=2)
    a = zssr_runs.zssr_run("Set14", 2, one, limit=2)
    b = zssr_runs.zssr_run("Set14", 2, many, limit=2)
    assert a.key == b.key and [r["image"] for r in a.per_image] == [
        r["image"] for r in b.per_image
    ]
    for ra, rb in zip(a.per_image, b.per_image, strict=True):
        assert rb["psnr"] == pytest.approx(ra["psnr"], abs=1e-3)
        assert rb["iterations"] == ra["iterations"]
