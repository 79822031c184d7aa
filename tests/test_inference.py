"""Tiled inference equals whole-image inference; modes and errors are handled."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from srcore.inference import predict, tile_spans


def _same_size_net() -> nn.Module:
    """3 conv 3x3 layers: output pixel sees 3 input pixels each way (SRCNN-like)."""
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 8, 3, padding=1),
        nn.ReLU(),
        nn.Conv2d(8, 3, 3, padding=1),
    )


def _shuffle_net() -> nn.Module:
    """x2 pixel shuffle (ESPCN/SRResNet-style tail); receptive radius 2 LR pixels."""
    torch.manual_seed(1)
    return nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.ReLU(),
        nn.Dropout(0.5),  # must be off in predict, whatever mode the model is in
        nn.Conv2d(8, 12, 3, padding=1),
        nn.PixelShuffle(2),
    )


def _image(b: int = 2) -> torch.Tensor:
    return torch.rand(b, 3, 37, 53, generator=torch.Generator().manual_seed(2))


@pytest.mark.parametrize("batch_tiles", [1, 4])
def test_tiled_equals_untiled_same_size(batch_tiles):
    net, x = _same_size_net(), _image()
    whole = predict(net, x, scale=1)
    tiled = predict(net, x, scale=1, tile=16, overlap=4, batch_tiles=batch_tiles)
    assert tiled.shape == whole.shape == x.shape
    assert float((tiled - whole).abs().max()) < 1e-4
    # The overlap is what makes it exact: without it the seams differ.
    seams = predict(net, x, scale=1, tile=16, overlap=0)
    assert float((seams - whole).abs().max()) > 1e-3


def test_tiled_equals_untiled_pixel_shuffle_x2():
    net, x = _shuffle_net(), _image()
    net.train()
    whole = predict(net, x, scale=2)
    tiled = predict(net, x, scale=2, tile=15, overlap=3, batch_tiles=3)
    assert tuple(tiled.shape) == (2, 3, 74, 106)
    assert float((tiled - whole).abs().max()) < 1e-4
    big = predict(net, x, scale=2, tile=64, overlap=3)  # one tile covers the image
    assert float((big - whole).abs().max()) < 1e-4
    net.eval()
    assert torch.allclose(whole, net(x), atol=1e-6)  # dropout was off


def test_modes_are_restored():
    net = _shuffle_net()
    net.train()
    net[2].eval()  # a mixed state must come back as it was
    predict(net, _image(1), scale=2, tile=20, overlap=2)
    assert net.training and net[0].training and not net[2].training
    net.eval()
    predict(net, _image(1), scale=2)
    assert not any(m.training for m in net.modules())


def test_tile_spans_cover_the_image_with_context():
    for length, tile, overlap in [(53, 16, 4), (37, 15, 3), (10, 6, 1), (8, 16, 4)]:
        spans = tile_spans(length, tile, overlap)
        t = min(tile, length)
        cores = [(c0, c1) for _, c0, c1 in spans]
        assert cores[0][0] == 0 and cores[-1][1] == length
        assert all(a[1] == b[0] for a, b in zip(cores, cores[1:], strict=False))
        for start, c0, c1 in spans:
            assert 0 <= start and start + t <= length
            assert (
                start <= max(c0 - overlap, 0) and min(c1 + overlap, length) <= start + t
            )


def test_errors():
    net, x = _same_size_net(), _image(1)
    with pytest.raises(ValueError, match=r"tile \(8\) must be larger than 2 x overlap"):
        predict(net, x, scale=1, tile=8, overlap=4)
    with pytest.raises(ValueError, match="not 2x larger"):
        predict(net, x, scale=2, tile=16, overlap=4)  # a same-size model, scale 2
    with pytest.raises(ValueError, match=r"\(B, C, h, w\)"):
        predict(net, x[0], scale=1)


def test_a_tiled_image_says_so_with_a_bar_over_its_tiles(capsys):
    """progress=True: a tiled run shows a bar named by its tile size; an image run
    whole shows none (nothing is tiled, nothing to say)."""
    net = nn.Conv2d(1, 1, 3, padding=1)
    x = torch.rand(1, 1, 40, 40)
    predict(net, x, scale=1, tile=20, overlap=4, progress=True)
    assert "tiles of 20x20" in capsys.readouterr().err
    predict(net, x, scale=1, progress=True)
    assert "tiles" not in capsys.readouterr().err
