"""Host-side image conversion: range mapping, centre crop, square resize."""

import numpy as np
import pytest

from jaxgan.data import images


def test_to_signed_unit_maps_0_and_255_to_minus1_and_1():
    out = images.to_signed_unit(np.array([0, 51, 255], np.uint8))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [-1.0, 51 / 127.5 - 1.0, 1.0], atol=1e-7)


def test_center_crop_takes_the_middle_square():
    image = np.arange(6 * 4).reshape(6, 4, 1)
    np.testing.assert_array_equal(images.center_crop(image), image[1:5])
    np.testing.assert_array_equal(images.center_crop(image, 2), image[2:4, 1:3])


@pytest.mark.parametrize("channels", [1, 3])
def test_square_resize_keeps_a_constant_image_constant(channels):
    image = np.full((218, 178, channels), 77, np.uint8)
    out = images.square_resize(image, 64)
    assert out.shape == (64, 64, channels) and out.dtype == np.uint8
    np.testing.assert_array_equal(out, 77)


def test_square_resize_downscale_averages_stripes():
    # One-pixel black/white stripes shrunk 4x average to mid grey: no aliasing to black or white.
    image = np.zeros((64, 64, 1), np.uint8)
    image[:, ::2] = 255
    out = images.square_resize(image, 16).astype(np.float64)
    assert abs(out[4:12, 4:12].mean() - 127.5) < 3.0


def test_resize_batch_zero_leaves_images_alone_and_handles_empty():
    batch = np.random.default_rng(0).integers(0, 256, (3, 8, 8, 1), dtype=np.uint8)
    np.testing.assert_array_equal(images.resize_batch(batch, 0), batch)
    assert images.resize_batch(batch[:0], 16).shape == (0, 16, 16, 1)


@pytest.mark.parametrize("bad", [-1, 2.5, "64", True])
def test_check_image_size_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="config.data.image_size"):
        images.check_image_size(bad)
