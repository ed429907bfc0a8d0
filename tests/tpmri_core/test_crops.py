"""Crops and the map back to image pixels: exact inverses, boxes, resampled pixels and clamping."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tpmri_core.tracking.crops import CropTransform, clamp_box_xywh, crop_image, crop_transform

coordinates = st.floats(min_value=-500, max_value=1500, allow_nan=False)
sides = st.floats(min_value=1.0, max_value=2000.0, allow_nan=False)
output_sizes = st.sampled_from([64, 96, 128, 192, 256])
transforms = st.builds(CropTransform, center_x=coordinates, center_y=coordinates, side_px=sides, output_size=output_sizes)
points = st.lists(st.tuples(coordinates, coordinates), min_size=1, max_size=8).map(np.array)
boxes = st.tuples(
    coordinates, coordinates, st.floats(0.5, 800, allow_nan=False), st.floats(0.5, 800, allow_nan=False)
).map(np.array)


@given(transform=transforms, points_xy=points)
def test_crop_to_image_and_back_is_the_identity(transform: CropTransform, points_xy: np.ndarray) -> None:
    in_image = transform.crop_to_image_xy(points_xy)
    np.testing.assert_allclose(transform.image_to_crop_xy(in_image), points_xy, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(transform.crop_to_image_xy(transform.image_to_crop_xy(points_xy)), points_xy, atol=1e-6)


@given(transform=transforms, box_xywh=boxes)
def test_a_box_mapped_into_a_crop_and_back_is_unchanged(transform: CropTransform, box_xywh: np.ndarray) -> None:
    in_crop = transform.image_to_crop_box_xywh(box_xywh)
    np.testing.assert_allclose(in_crop[2:], box_xywh[2:] / transform.scale)
    np.testing.assert_allclose(transform.crop_to_image_box_xywh(in_crop), box_xywh, rtol=1e-9, atol=1e-6)


@given(box_xywh=boxes, factor=st.sampled_from([2.0, 4.0]), output_size=output_sizes)
def test_the_crop_is_centred_on_the_box_at_the_context_factor(box_xywh, factor, output_size) -> None:
    transform = crop_transform(box_xywh, factor, output_size)
    x, y, w, h = box_xywh
    assert transform.side_px == max(1.0, math.ceil(math.sqrt(w * h) * factor))
    centre_in_crop = transform.image_to_crop_xy(np.array([x + w / 2, y + h / 2]))
    np.testing.assert_allclose(centre_in_crop, [output_size / 2, output_size / 2], atol=1e-6)
    # The crop's side is the box's geometric-mean side times the factor, rounded up to whole pixels.
    context = math.sqrt(w * h) * factor
    assert context <= transform.side_px < max(context, 1.0) + 1


@pytest.mark.parametrize("bad_box", [(0, 0, 0, 10), (0, 0, 10, -1), (0, 0, float("nan"), 5)])
def test_a_crop_needs_a_box_with_area(bad_box) -> None:
    with pytest.raises(ValueError, match="area"):
        crop_transform(bad_box, 2.0, 128)


@settings(max_examples=60, deadline=None)
@given(
    marked_x=st.integers(20, 179),
    marked_y=st.integers(20, 139),
    zoom=st.floats(1.0, 4.0),
    shift_x=st.floats(-6, 6),
    shift_y=st.floats(-6, 6),
)
def test_a_marked_pixel_lands_where_the_transform_says(marked_x, marked_y, zoom, shift_x, shift_y) -> None:
    """A single bright pixel, cropped (and enlarged), peaks at the crop pixel the transform maps it to."""
    image = np.zeros((160, 200), dtype=np.uint8)
    image[marked_y, marked_x] = 255
    output_size = 64
    transform = CropTransform(marked_x + 0.5 + shift_x, marked_y + 0.5 + shift_y, output_size / zoom, output_size)
    patch = crop_image(image, transform, fill=0)
    assert patch.shape == (output_size, output_size)
    # The pixel's centre (continuous coordinates: pixel i spans [i, i + 1)) -> crop continuous -> crop index.
    expected = transform.image_to_crop_xy(np.array([marked_x + 0.5, marked_y + 0.5])) - 0.5
    peak_y, peak_x = np.unravel_index(np.argmax(patch), patch.shape)
    # The nearest crop pixel, up to OpenCV's interpolation grid (1/32 image pixel = zoom/32 crop pixels).
    tolerance = 0.5 + zoom / 32 + 0.02
    assert abs(peak_x - expected[0]) <= tolerance and abs(peak_y - expected[1]) <= tolerance


def test_crop_image_of_colour_images_pads_with_the_image_mean() -> None:
    image = np.zeros((40, 60, 3), dtype=np.uint8)
    image[..., 0] = 200
    image[..., 2] = 50
    # A crop mostly outside the image, to the left of it.
    transform = CropTransform(center_x=-100, center_y=20, side_px=64, output_size=32)
    patch = crop_image(image, transform)
    assert patch.shape == (32, 32, 3) and patch.dtype == np.uint8
    np.testing.assert_array_equal(patch[0, 0], [200, 0, 50])


def test_crop_image_keeps_grey_images_grey_and_honours_fill() -> None:
    image = np.full((30, 30), 9, dtype=np.uint8)
    patch = crop_image(image, CropTransform(center_x=15, center_y=15, side_px=90, output_size=30), fill=77)
    assert patch.shape == (30, 30)
    assert patch[0, 0] == 77 and patch[15, 15] == 9


@given(
    box_xywh=st.tuples(
        st.floats(-1e4, 1e4, allow_nan=False),
        st.floats(-1e4, 1e4, allow_nan=False),
        st.floats(-1e3, 1e4, allow_nan=False),
        st.floats(-1e3, 1e4, allow_nan=False),
    ),
    width=st.integers(8, 2000),
    height=st.integers(8, 2000),
)
def test_clamped_boxes_lie_inside_the_image_with_a_minimum_size(box_xywh, width, height) -> None:
    x, y, w, h = clamp_box_xywh(np.array(box_xywh), (width, height), min_size_px=2.0)
    assert 0 <= x and 0 <= y and x + w <= width + 1e-9 and y + h <= height + 1e-9
    assert w >= 2.0 and h >= 2.0


def test_clamping_leaves_a_box_inside_the_image_alone() -> None:
    np.testing.assert_array_equal(clamp_box_xywh(np.array([10.5, 20.25, 30, 40]), (640, 480)), [10.5, 20.25, 30, 40])
