"""The seed's architectures have exactly the seed's parameter counts; ours stays small."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from export.arch import build_model  # noqa: E402


def non_trainable(model) -> int:
    return sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)


def test_lenet5_matches_seed():
    model = build_model("lenet5", 10)
    assert model.count_params() == 369_174
    assert non_trainable(model) == 0


def test_alexnet_matches_seed():
    model = build_model("alexnet", 10)
    assert model.count_params() == 21_599_306
    assert non_trainable(model) == 192


@pytest.mark.parametrize("arch", ["lenet5", "alexnet", "edgenet"])
def test_output_is_softmax_over_classes(arch):
    model = build_model(arch, 47)
    probs = model(np.zeros((2, 28, 28, 1), np.float32)).numpy()
    assert probs.shape == (2, 47)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_edgenet_is_small_and_uses_plain_layers():
    model = build_model("edgenet", 47)
    assert model.count_params() == 902_735
    assert non_trainable(model) == 2 * (32 + 64 + 128 + 128)  # BN moving mean, variance
    allowed = {"Conv2D", "BatchNormalization", "ReLU", "MaxPooling2D"}
    allowed |= {"Flatten", "Dropout", "Dense"}
    assert {type(layer).__name__ for layer in model.layers} <= allowed


def test_edgenet_head_sees_a_7x7_map():
    model = build_model("edgenet", 47)
    flatten = next(layer for layer in model.layers if type(layer).__name__ == "Flatten")
    assert tuple(flatten.output.shape[1:]) == (7 * 7 * 128,)


def test_unknown_arch_is_rejected():
    with pytest.raises(ValueError, match="unknown architecture"):
        build_model("resnet", 10)
