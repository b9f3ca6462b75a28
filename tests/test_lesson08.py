"""Lesson 08 (visualizing ConvNets): the checkers pass their references and name the fault of each
wrong implementation."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.exercises import lesson08 as l8


def _clip_per_channel(image, p):          # zeroes single channel values, not whole pixels
    return np.where(np.abs(image) < np.percentile(np.abs(image), p), 0, image)


def _clip_large(image, p):                # zeroes the strongest pixels
    norms = np.linalg.norm(image, axis=-1)
    return np.where((norms > np.percentile(norms, 100 - p))[..., None], 0, image)


def _clip_fraction_of_max(image, p):      # threshold p % of the largest norm, not a percentile
    norms = np.linalg.norm(image, axis=-1)
    return np.where((norms < p / 100 * norms.max())[..., None], 0, image)


def _clip_and_scale(image, p):            # right pixels zeroed, but the kept ones rescaled
    out = l8.clip_small_norm(image, p)
    return out / np.abs(out).max()


WRONG = {
    "grad_cam_weights": (l8.check_grad_cam_weights, [
        (lambda g: g.sum(axis=(0, 1)), "summed the gradients"),
        (lambda g: np.abs(g).mean(axis=(0, 1)), "averaged |gradient|"),
        (lambda g: g.mean(axis=(1, 2)), "wrong shape"),
        (lambda g: g.mean(axis=-1), "one weight per channel"),
        (lambda g: g.max(axis=(0, 1)), "took the maximum"),
    ]),
    "grad_cam_combine": (l8.check_grad_cam_combine, [
        (lambda a, w: a @ w, "negative values: apply the ReLU"),
        (lambda a, w: np.abs(a @ w), "took |sum|"),
        (lambda a, w: np.maximum(a * w, 0).sum(axis=-1), "ReLU applied before summing"),
        (lambda a, w: a @ np.maximum(w, 0), "ReLU applied before summing"),
        (lambda a, w: np.maximum(a @ w, 0) / np.maximum(a @ w, 0).max(), "scaled the map"),
        (lambda a, w: np.maximum(a.transpose(1, 0, 2) @ w, 0), "wrong shape"),
    ]),
    "clip_small_norm": (l8.check_clip_small_norm, [
        (_clip_per_channel, "zero a pixel as a whole"),
        (_clip_large, "zeroed the wrong pixels"),
        (_clip_fraction_of_max, "the threshold is np.percentile"),
        (_clip_and_scale, "changed the values of pixels that are kept"),
    ]),
}


@pytest.mark.parametrize("check, reference", [
    (l8.check_grad_cam_weights, l8.grad_cam_weights),
    (l8.check_grad_cam_combine, l8.grad_cam_combine),
    (l8.check_clip_small_norm, l8.clip_small_norm),
])
def test_reference_and_an_equivalent_solution_pass(check, reference, capsys):
    assert check(reference).passed
    equivalent = {l8.check_grad_cam_weights: lambda g: g.sum(axis=0).sum(axis=0) / (g.shape[0] * g.shape[1]),
                  l8.check_grad_cam_combine: lambda a, w: np.maximum(np.tensordot(a, w, axes=1), 0),
                  l8.check_clip_small_norm: lambda im, p: im * (np.linalg.norm(im, axis=-1)
                                                                >= np.percentile(np.linalg.norm(im, axis=-1),
                                                                                 p))[..., None]}[check]
    assert check(equivalent).passed
    assert "WRONG" not in capsys.readouterr().out


def test_returning_nothing_says_so():
    result = l8.check_grad_cam_weights(lambda g: None)
    assert "returned NoneType" in " ".join(result.messages)
