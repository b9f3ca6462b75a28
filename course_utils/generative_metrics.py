"""Sample-quality measures for generative models: a Fréchet distance in a CNN's feature space, class coverage.

Lessons 11 (GANs) and 12 (VAE) compare generated Fashion-MNIST samples with the test images
through the lesson 05 CNN (:func:`course_utils.models.fashion_cnn`):

- :func:`frechet_distance` fits a Gaussian to each set of features and returns the Fréchet
  (2-Wasserstein) distance between the two Gaussians,
  ``||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))``.
  Heusel et al. (2017), "GANs trained by a two time-scale update rule converge to a local Nash
  equilibrium", define the FID with this formula on the 2048-d pool features of Inception-v3
  trained on ImageNet. Here the features are the 128-d ``dense_relu`` layer of a small CNN
  trained on Fashion-MNIST itself, so the numbers are *not* FID and are comparable neither with
  published FIDs nor across feature extractors: call it the "Fréchet distance in the lesson 05
  CNN's features". Like FID it is biased upward for small sample sizes; compare models with the
  same number of samples (the lessons use 10,000 against the 10,000 test images).
- :func:`class_coverage` is the share of samples the CNN assigns to each of the 10 classes, and
  :func:`coverage_entropy` its entropy in bits (log2(10) = 3.32 for a uniform coverage, 0 when
  every sample falls in one class: the mark of mode collapse).
- :func:`precision_recall` (Kynkäänniemi et al. 2019, "Improved precision and recall metric for
  assessing generative models"): each set's features are covered by balls reaching each point's
  k-th nearest neighbour in its own set; precision is the share of samples inside the real
  images' balls (realism), recall the share of real images inside the samples' balls (how much
  of the data the samples reach, inside each class as well as between classes).

Usage::

    from course_utils.generative_metrics import class_coverage, cnn_features, frechet_distance
    cnn = fashion_cnn()                                 # the measuring instrument
    real = cnn_features(preprocess(x_test), cnn)       # (10000, 128) float64
    fake = cnn_features(samples, cnn)                   # samples in [0, 1], (N, 28, 28, 1)
    print(frechet_distance(real, fake), class_coverage(samples, cnn))
"""

from __future__ import annotations

import warnings

import keras
import numpy as np
import scipy.linalg

from course_utils.inference import compiled_for, forward
from course_utils.vae import unit_images

FEATURE_LAYER = "dense_relu"      # the 128-d layer after the lesson 05 CNN's dense layer, before dropout
SQRTM_OFFSET = 1e-6               # diagonal offset added to both covariances when sqrtm fails (see below)


def _features(x: object, name: str) -> np.ndarray:
    """``x`` as a finite float64 ``(N, D)`` array with ``N >= 2``; one-line ValueError otherwise."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be a finite 2-D array (samples, features) with at least 2 samples to "
                         f"estimate a covariance, got shape {x.shape}" + ("" if np.all(np.isfinite(x)) else
                                                                           " with NaN or infinite values"))
    return x


def _sqrtm_or_none(product: np.ndarray) -> np.ndarray | None:
    """The real part of ``scipy.linalg.sqrtm(product)``, or None when it is not trustworthy.

    Not trustworthy: non-finite entries, an imaginary part above 1e-3 of the largest entry (the
    product of two PSD matrices has real non-negative eigenvalues, so a large imaginary part is a
    numerical failure), or a relative residual ``||X X - A|| / ||A||`` above 1e-4.
    """
    with warnings.catch_warnings():    # "Matrix is singular": handled by the offset
        warnings.simplefilter("ignore")
        root = scipy.linalg.sqrtm(product)
    if not np.all(np.isfinite(root)):
        return None
    if np.iscomplexobj(root):
        if float(np.abs(root.imag).max()) > 1e-3 * max(float(np.abs(root).max()), 1e-300):
            return None
        root = root.real
    norm = float(np.linalg.norm(product))
    if norm > 0 and float(np.linalg.norm(root @ root - product)) > 1e-4 * norm:
        return None
    return root


def _frechet_from_moments(mu_a: np.ndarray, cov_a: np.ndarray, mu_b: np.ndarray, cov_b: np.ndarray,
                          offset: float = SQRTM_OFFSET) -> float:
    """``||mu_a - mu_b||^2 + Tr(cov_a + cov_b - 2 (cov_a cov_b)^(1/2))``; see :func:`frechet_distance`."""
    root = _sqrtm_or_none(cov_a @ cov_b)
    if root is None:
        eye = offset * np.eye(mu_a.size)
        root = _sqrtm_or_none((cov_a + eye) @ (cov_b + eye))
        if root is None:
            raise ValueError("the covariance product has no reliable square root even with the diagonal "
                             f"offset {offset}; check the features for constant or duplicated columns")
    diff = mu_a - mu_b
    return max(float(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(root)), 0.0)


def frechet_distance(features_a: object, features_b: object) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets ``(N_a, D)`` and ``(N_b, D)``.

    Lessons 11-12 measure GAN and VAE samples with it in the lesson 05 CNN's ``dense_relu``
    features (:func:`cnn_features`); it is FID's formula in another feature space, so not FID
    (see the module docstring). Means and unbiased covariances (``np.cov``) of each set, then
    ``||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))``. The matrix square root is
    ``scipy.linalg.sqrtm``; its real part is kept (for PSD covariances the product is
    diagonalisable with real non-negative eigenvalues, so the exact root is real and an imaginary
    part is rounding). If the root is not trustworthy (non-finite, a large imaginary part, a large
    residual: numerical trouble with nearly singular covariances), ``SQRTM_OFFSET * I`` is added to
    both covariances and the root recomputed, as in the reference FID code (pytorch-fid). The
    distance is the squared 2-Wasserstein distance, so by the triangle inequality the offset moves
    its square root by at most ``2 * sqrt(offset * D)`` (0.023 for D = 128). Rounding can leave a
    tiny negative value; the result is clipped at 0. Two identical sets give 0.
    Usage: ``frechet_distance(cnn_features(samples, cnn), cnn_features(preprocess(x_test), cnn))``.
    """
    a, b = _features(features_a, "features_a"), _features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"features_a has {a.shape[1]} features per sample but features_b has {b.shape[1]}")
    return _frechet_from_moments(a.mean(axis=0), np.cov(a, rowvar=False), b.mean(axis=0), np.cov(b, rowvar=False))


def cnn_features(images: object, model: keras.Model, layer: str = FEATURE_LAYER, batch_size: int = 500) -> np.ndarray:
    """Features of images in [0, 1] at ``layer`` of ``model``, float64 ``(N, D)``, lessons 11-12.

    ``model`` is the lesson 05 CNN (:func:`course_utils.models.fashion_cnn`); the default layer
    ``"dense_relu"`` is the ReLU after its 128-unit dense layer and batch norm (the dropout that
    follows is inactive at inference). The sub-model up to ``layer`` is built once per model and
    runs compiled (:func:`course_utils.inference.forward`).
    Usage: ``real = cnn_features(preprocess(x_test), cnn)``; ``fake = cnn_features((g(z) + 1) / 2, cnn)``.
    """
    x = unit_images(images)
    names = [lay.name for lay in model.layers]
    if layer not in names:
        raise ValueError(f"model {model.name!r} has no layer {layer!r}; its layers: {', '.join(names)}")
    extractor = compiled_for(model, ("features", layer),
                             lambda: keras.Model(model.inputs, model.get_layer(layer).output, name=f"{model.name}_{layer}"))
    out = forward(extractor, x, output="outputs", batch_size=batch_size)
    return np.asarray(out, dtype=np.float64).reshape(len(x), -1)


def class_coverage(images: object, model: keras.Model, batch_size: int = 500) -> np.ndarray:
    """Share of images ``model`` assigns to each class (float64, sums to 1), lessons 11-12.

    The class of an image is the argmax of ``model``'s scores (the lesson 05 CNN); the result has
    one entry per class (10 for Fashion-MNIST, in the order of ``course_utils.data.FASHION_CLASSES``).
    Real test images give about 0.1 each; a collapsed generator piles its samples into a few classes.
    Usage: ``coverage = class_coverage(samples, cnn)``; ``coverage_entropy(coverage)``.
    """
    x = unit_images(images)
    predicted = forward(model, x, output="labels", batch_size=batch_size)
    return np.bincount(predicted, minlength=int(model.output_shape[-1])).astype(np.float64) / len(x)


def coverage_entropy(coverage) -> float:
    """Entropy in bits of a class distribution: log2(10) = 3.32 for uniform, 0 for a single class.

    Lessons 11-12 summarise :func:`class_coverage` with it (``0 * log 0`` counts as 0).
    Usage: ``coverage_entropy(class_coverage(samples))``.
    """
    p = np.asarray(coverage, dtype=np.float64)
    if p.ndim != 1 or p.size < 1:
        raise ValueError(f"coverage must be a non-empty 1-D array of class shares, got shape {p.shape}")
    if not np.all(np.isfinite(p)) or float(p.min()) < 0 or abs(float(p.sum()) - 1.0) > 1e-6:
        raise ValueError(f"coverage must be non-negative shares summing to 1, got sum {float(p.sum()):g}")
    nonzero = p[p > 0]
    return float(-(nonzero * np.log2(nonzero)).sum()) + 0.0   # + 0.0 turns -0.0 into 0.0


def _kth_radii(x: np.ndarray, k: int, block: int = 1000) -> np.ndarray:
    """Distance from each row of ``x`` to its ``k``-th nearest other row (the row itself is the 0-th)."""
    squares = (x**2).sum(axis=1)
    radii = np.empty(len(x))
    for start in range(0, len(x), block):
        d2 = squares[start:start + block, None] + squares[None] - 2.0 * x[start:start + block] @ x.T
        radii[start:start + block] = np.sqrt(np.maximum(np.partition(d2, k, axis=1)[:, k], 0.0))
    return radii


def _inside_balls(points: np.ndarray, centres: np.ndarray, radii: np.ndarray, block: int = 1000) -> np.ndarray:
    """Whether each row of ``points`` lies within ``radii[j]`` of some ``centres[j]``."""
    squares = (centres**2).sum(axis=1)
    inside = np.empty(len(points), dtype=bool)
    for start in range(0, len(points), block):
        p = points[start:start + block]
        d2 = (p**2).sum(axis=1)[:, None] + squares[None] - 2.0 * p @ centres.T
        inside[start:start + block] = np.any(d2 <= radii[None] ** 2, axis=1)
    return inside


def precision_recall(real_features: object, fake_features: object, k: int = 3) -> dict[str, float]:
    """Kynkäänniemi et al.'s (2019) precision and recall of samples against real images, lessons 11-12.

    Each real image's feature vector gets a ball reaching its ``k``-th nearest real neighbour
    (k = 3 as in the paper); **precision** is the share of samples inside at least one real ball.
    Symmetrically, balls around the samples give **recall**, the share of real images they reach.
    A generator that collapses onto a few images per class keeps its precision and class coverage
    but loses recall. Use the same numbers of real and generated images (the radii shrink with N).
    Usage: ``precision_recall(cnn_features(x_test[:5000], cnn), cnn_features(samples[:5000], cnn))``.
    """
    real, fake = _features(real_features, "real_features"), _features(fake_features, "fake_features")
    if real.shape[1] != fake.shape[1] or isinstance(k, bool) or not isinstance(k, (int, np.integer)) \
            or not 1 <= k < min(len(real), len(fake)):
        raise ValueError(f"need features of the same width and 1 <= k < the smaller set's size, got widths "
                         f"{real.shape[1]} and {fake.shape[1]}, sizes {len(real)} and {len(fake)}, k={k!r}")
    return {"precision": float(_inside_balls(fake, real, _kth_radii(real, k)).mean()),
            "recall": float(_inside_balls(real, fake, _kth_radii(fake, k)).mean())}
