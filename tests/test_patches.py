"""PatchSampler and validation_pairs: shapes, purity in (seed, step), the 8 dihedral
transforms, LR = degrade(HR crop), rescaling, and a real T91 run."""

from __future__ import annotations

import pytest
import torch

from srcore import imresize, load_image, psnr
from srcore.degrade import degrade
from srcore.geometry import dihedral
from srcore.imageops import quantize, rgb_to_y
from srcore.training.patches import PatchSampler, step_seed, validation_pairs


def _images() -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return [
        quantize(torch.rand(1, 3, 30, 41, generator=g)),
        quantize(torch.rand(1, 1, 27, 24, generator=g)),  # grey, odd size
    ]


def _find(img: torch.Tensor, crop: torch.Tensor, stride: int) -> list[tuple[int, int]]:
    """Positions (multiples of ``stride``) where ``crop`` (C, P, P) sits in ``img``."""
    p = crop.shape[-1]
    h, w = img.shape[-2:]
    return [
        (y, x)
        for y in range(0, h - p + 1, stride)
        for x in range(0, w - p + 1, stride)
        if torch.equal(img[0, :, y : y + p, x : x + p], crop)
    ]


@pytest.mark.parametrize(
    ("channels", "upsample", "lr_shape", "hr_shape"),
    [
        ("rgb", False, (5, 3, 4, 4), (5, 3, 12, 12)),
        ("y", False, (5, 1, 4, 4), (5, 1, 12, 12)),
        ("y", True, (5, 1, 12, 12), (5, 1, 12, 12)),
        ("rgb", True, (5, 3, 12, 12), (5, 3, 12, 12)),
    ],
)
def test_shapes_and_8bit_values(channels, upsample, lr_shape, hr_shape):
    sampler = PatchSampler(
        _images(), 3, 12, channels=channels, upsample_input=upsample, seed=1
    )
    lr_img, hr = sampler.batch(0, 5)
    assert tuple(lr_img.shape) == lr_shape and tuple(hr.shape) == hr_shape
    assert lr_img.dtype == hr.dtype == torch.float32
    for x in (lr_img, hr):
        assert torch.equal(x, quantize(x))  # 8-bit grid, in [0, 1]


def test_same_seed_and_step_same_batch_and_global_rng_untouched():
    a = PatchSampler(_images(), 2, 8, seed=7)
    b = PatchSampler(_images(), 2, 8, seed=7)
    before = torch.get_rng_state()
    lr1, hr1 = a.batch(3, 6)
    assert torch.equal(torch.get_rng_state(), before)
    b.batch(0, 6)  # other calls in between change nothing
    lr2, hr2 = b.batch(3, 6)
    assert torch.equal(lr1, lr2) and torch.equal(hr1, hr2)
    assert not torch.equal(hr1, a.batch(4, 6)[1])
    assert not torch.equal(hr1, PatchSampler(_images(), 2, 8, seed=8).batch(3, 6)[1])
    assert step_seed(7, 3) != step_seed(3, 7)


def test_augmentation_covers_the_8_dihedral_transforms():
    img = torch.arange(16.0).reshape(1, 1, 4, 4) / 15  # no symmetry at all
    sampler = PatchSampler([img], 2, 4, channels="y", seed=0)  # grey stays 1-channel
    _, hr = sampler.batch(0, 64)
    seen = {tuple(x.flatten().tolist()) for x in hr}
    expected = {tuple(dihedral(img[0], k).flatten().tolist()) for k in range(8)}
    assert len(expected) == 8 and seen == expected
    _, plain = PatchSampler([img], 2, 4, channels="y", augment=False).batch(0, 8)
    assert all(torch.equal(x, img[0]) for x in plain)


def test_lr_is_degrade_of_an_aligned_hr_crop():
    images = _images()
    sampler = PatchSampler(images, 3, 9, augment=False, seed=2)
    lr_img, hr = sampler.batch(5, 8)
    rgb = [images[0], images[1].expand(-1, 3, -1, -1)]  # grey replicated for "rgb"
    for i in range(8):
        assert torch.equal(lr_img[i : i + 1], degrade(hr[i : i + 1], 3))
        found = [_find(img, hr[i], 3) for img in rgb]
        assert sum(len(f) for f in found) >= 1  # an aligned crop of one of the images
    up = PatchSampler(images, 3, 9, augment=False, upsample_input=True, seed=2)
    lr_up, hr_up = up.batch(5, 8)
    assert torch.equal(hr_up, hr)
    assert torch.equal(lr_up, quantize(imresize(lr_img, 3)))


def test_y_channel_is_8bit_luma_and_grey_keeps_its_levels():
    rgb = _images()[0]
    _, hr = PatchSampler([rgb], 3, 30, channels="y", augment=False).batch(0, 1)
    assert len(_find(quantize(rgb_to_y(rgb)), hr[0], 3)) == 1
    grey = _images()[1]
    _, hr = PatchSampler([grey], 3, 24, channels="y", augment=False).batch(0, 2)
    assert all(_find(grey, x, 3) for x in hr)


def test_custom_degradation_is_used_and_checked():
    def shrink(hr):
        return hr[..., ::2, ::2]

    lr_img, hr = PatchSampler(_images(), 2, 8, degradation=shrink).batch(0, 3)
    assert torch.equal(lr_img, hr[..., ::2, ::2])
    bad = PatchSampler(_images(), 2, 8, degradation=lambda hr: hr)
    with pytest.raises(ValueError, match="degradation turned HR"):
        bad.batch(0, 1)


def test_random_degradation_is_reproducible():
    def noisy(hr):
        return degrade(hr, 2, noise_sigma=0.05, seed=None)  # torch's global RNG

    a = PatchSampler(_images(), 2, 8, degradation=noisy, seed=3)
    assert torch.equal(a.batch(1, 4)[0], a.batch(1, 4)[0])


def test_rescale_factor_one_gives_unaligned_image_crops():
    g = torch.Generator().manual_seed(1)
    big = quantize(torch.rand(1, 3, 64, 70, generator=g))
    sampler = PatchSampler([big], 2, 16, rescale=(1.0, 1.0), augment=False, seed=4)
    _, hr = sampler.batch(0, 6)
    positions = [_find(big, x, 1) for x in hr]
    assert all(len(p) == 1 for p in positions)
    assert any(y % 2 or x % 2 for [(y, x)] in positions)  # not only grid positions


def test_rescale_shapes_values_and_small_images():
    sampler = PatchSampler(_images(), 2, 20, rescale=(0.5, 1.5), seed=5)
    lr_img, hr = sampler.batch(0, 6)  # 0.5 x 24 < 20: factor raised to fit
    assert tuple(lr_img.shape) == (6, 3, 10, 10) and tuple(hr.shape) == (6, 3, 20, 20)
    assert torch.equal(hr, quantize(hr))
    assert torch.equal(lr_img, sampler.batch(0, 6)[0])


def test_bad_arguments():
    with pytest.raises(
        ValueError, match=r"image 1 is 27x24, smaller than patch_size 26"
    ):
        PatchSampler(_images(), 2, 26)
    with pytest.raises(ValueError, match="multiple of scale"):
        PatchSampler(_images(), 3, 10)
    with pytest.raises(ValueError, match="channels"):
        PatchSampler(_images(), 2, 8, channels="ycbcr")
    with pytest.raises(ValueError, match=r"\(1, C, H, W\)"):
        PatchSampler([torch.rand(3, 20, 20)], 2, 8)
    with pytest.raises(ValueError, match="rescale"):
        PatchSampler(_images(), 2, 8, rescale=(1.5, 0.5))


def test_validation_pairs_match_training_pairs():
    pairs = validation_pairs(_images(), 2, "y", upsample_input=False)
    (lr0, hr0), (lr1, hr1) = pairs
    assert tuple(hr0.shape) == (1, 1, 30, 40) and tuple(lr0.shape) == (1, 1, 15, 20)
    assert torch.equal(hr0, quantize(rgb_to_y(_images()[0]))[..., :30, :40])
    assert torch.equal(lr0, degrade(hr0, 2))
    assert tuple(hr1.shape) == (1, 1, 26, 24)  # grey stays grey
    [(lr_up, hr)] = validation_pairs(_images()[:1], 3, "rgb", upsample_input=True)
    assert lr_up.shape == hr.shape == (1, 3, 30, 39)


def test_t91_patches(data_dir):
    folder = data_dir / "T91" / "HR"
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    paths = sorted(folder.glob("*.png"))[:6]
    images = [load_image(p) for p in paths]
    sampler = PatchSampler(images, 3, 33, channels="y", upsample_input=True, seed=0)
    lr_img, hr = sampler.batch(0, 16)
    assert tuple(lr_img.shape) == tuple(hr.shape) == (16, 1, 33, 33)
    assert float(hr.min()) >= 16 / 255 and float(hr.max()) <= 235 / 255  # luma range
    # Bicubic x3 on natural patches: a loss, but a moderate one.
    scores = psnr(lr_img, hr, shave=3)
    assert 18 < float(scores.mean()) < 45
    assert torch.equal(lr_img, sampler.batch(0, 16)[0])
    pairs = validation_pairs(images[:2], 3, "y", upsample_input=True)
    assert all(lr.shape == hr.shape for lr, hr in pairs)
