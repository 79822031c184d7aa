"""The bicubic baseline against the literature, the CLI, and the committed records."""

from __future__ import annotations

import json

import pytest

from srcore.__main__ import main
from srcore.chapters import published
from srcore.runs import benchmark, results
from srcore.runs.context import RunContext

# Kim et al. (2016) Table 2, bicubic column; the acceptance bound of the protocol.
PSNR_TOL, SSIM_TOL = 0.02, 0.003


def _ctx(data_dir, results) -> RunContext:
    return RunContext("quick", data_root=data_dir, results=results, progress=False)


@pytest.mark.parametrize("dataset", ["Set5", "Set14", "BSD100"])
def test_bicubic_reproduces_kim_2016(dataset, data_dir, tmp_path):
    records = [
        benchmark.evaluate("bicubic", dataset, s, _ctx(data_dir, tmp_path))
        for s in (2, 3, 4)
    ]
    table = published.compare_with_published(benchmark.benchmark_table(records))
    assert len(table) == 3 and table["psnr_pub"].notna().all()
    for row in table.itertuples():
        assert abs(row.d_psnr) <= PSNR_TOL, (
            f"{dataset} x{row.scale}: {row.d_psnr:+.3f} dB"
        )
        assert abs(row.d_ssim) <= SSIM_TOL, f"{dataset} x{row.scale}: {row.d_ssim:+.4f}"


def test_greyscale_bridge_is_scored_on_grey_levels(data_dir, tmp_path):
    record = benchmark.evaluate("bicubic", "Set14", 2, _ctx(data_dir, tmp_path))
    rows = {r["image"]: r for r in record.per_image}
    assert rows["bridge"]["channels"] == 1 and rows["man"]["channels"] == 3
    # SelfExSR's MATLAB table: bridge 26.570 dB (grey levels), man 29.238 dB (luma).
    assert rows["bridge"]["psnr"] == pytest.approx(26.570, abs=0.02)
    assert rows["man"]["psnr"] == pytest.approx(29.238, abs=0.02)


def test_cli_benchmark_json_and_missing_dataset(data_dir, tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = main(
        ["benchmark", "--methods", "bicubic", "--datasets", "Set5", "Urban100"]
        + ["--scales", "2", "4", "--json", str(out), "--results", str(tmp_path / "r")]
        + ["--data-root", str(data_dir)]
    )
    captured = capsys.readouterr()
    assert code == 0
    assert "skipped Urban100" in captured.err and "data fetch Urban100" in captured.err
    assert "Set5" in captured.out and "33.6" in captured.out
    rows = json.loads(out.read_text())
    assert [(r["dataset"], r["scale"]) for r in rows] == [("Set5", 2), ("Set5", 4)]
    assert set(rows[0]) == {"method", "dataset", "scale", "psnr", "ssim", "n_images"}
    assert rows[0]["n_images"] == 5
    assert rows[0]["psnr"] == pytest.approx(33.66, abs=PSNR_TOL)


def test_cli_rejects_unknown_method(capsys):
    assert main(["benchmark", "--methods", "nearest-magic"]) == 2
    assert "unknown method" in capsys.readouterr().err


def test_cli_data_list_and_verify(data_dir, capsys):
    assert main(["data", "list", "--data-root", str(data_dir)]) == 0
    listing = capsys.readouterr().out
    assert "Set5" in listing and "Urban100" in listing
    assert main(["data", "verify", "Set5", "--data-root", str(data_dir)]) == 0
    assert main(["data", "verify", "Urban100", "--data-root", str(data_dir)]) == 1
    text = capsys.readouterr().out
    assert "Set5" in text and "ok" in text and "INCOMPLETE" in text


def test_committed_records_are_reproduced(data_dir, tmp_path):
    """Re-running the protocol chapter reproduces the committed quick numbers."""
    committed = [
        r
        for r in results.load_records("bicubic")
        if r.config["profile"] == "quick" and r.config["dataset"] in ("Set5", "Set14")
    ]
    assert len(committed) == 6, "the quick bicubic records of the book are missing"
    for old in committed:
        new = benchmark.evaluate(
            "bicubic",
            old.config["dataset"],
            old.config["scale"],
            _ctx(data_dir, tmp_path),
        )
        assert new.key == old.key
        assert new.mean("psnr") == pytest.approx(old.mean("psnr"), abs=0.05)
        assert new.mean("ssim") == pytest.approx(old.mean("ssim"), abs=1e-4)


def test_imresize_matches_matlab_record(data_dir, tmp_path):
    record = benchmark.matlab_imresize_check(4, _ctx(data_dir, tmp_path))
    assert len(record.per_image) == 4
    for row in record.per_image:
        assert row["max_abs_down"] < 1e-9 and row["max_abs_up_y"] < 1e-9
