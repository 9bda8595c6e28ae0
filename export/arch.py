"""Model architectures: the seed report's LeNet-5 and AlexNet, and our edge network."""

from __future__ import annotations

ARCHS = ("lenet5", "alexnet", "edgenet")


def lenet5(num_classes: int):
    """The seed's LeNet-5 (369,174 parameters at 10 classes)."""
    from keras import Sequential, layers

    return Sequential(
        [
            layers.Input((28, 28, 1), name="image"),
            layers.Conv2D(32, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(2, strides=2),
            layers.Conv2D(48, 5, padding="valid", activation="relu"),
            layers.MaxPooling2D(2, strides=2),
            layers.Flatten(),
            layers.Dense(256, activation="relu"),
            layers.Dense(84, activation="relu"),
            layers.Dense(num_classes, activation="softmax", name="probs"),
        ],
        name="lenet5",
    )


def alexnet(num_classes: int):
    """The seed's AlexNet adapted to 28x28 (21,599,306 parameters, 192 non-trainable)."""
    from keras import Sequential, layers

    return Sequential(
        [
            layers.Input((28, 28, 1), name="image"),
            layers.Conv2D(96, 11, strides=4, padding="same", activation="relu"),
            layers.MaxPooling2D(3, strides=2),
            layers.BatchNormalization(),
            layers.Conv2D(256, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(3, strides=2),
            layers.Conv2D(384, 3, padding="same", activation="relu"),
            layers.Conv2D(384, 3, padding="same", activation="relu"),
            layers.Conv2D(256, 3, padding="same", activation="relu"),
            layers.Flatten(),
            layers.Dense(4096, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(4096, activation="relu"),
            layers.Dropout(0.5),
            layers.Dense(num_classes, activation="softmax", name="probs"),
        ],
        name="alexnet",
    )


def edgenet(num_classes: int):
    """Our edge network (v2): three 3x3 Conv-BN-ReLU layers (32@28, 64@14, 128@7) with max
    pooling in between, then a Flatten + Dense(128)-BN-ReLU head that keeps where the strokes
    are (size and position tell F from f and O from 0; global average pooling lost them).
    About 8.2 M multiply-adds and 0.9 M parameters. Only Conv, Dense, BN, ReLU, MaxPool,
    Flatten and Dropout: they convert to ONNX and quantize to int8 cleanly.
    """
    from keras import Sequential, layers

    def block(filters: int) -> list:
        return [
            layers.Conv2D(filters, 3, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
        ]

    return Sequential(
        [
            layers.Input((28, 28, 1), name="image"),
            *block(32),
            layers.MaxPooling2D(2),
            *block(64),
            layers.MaxPooling2D(2),
            *block(128),
            layers.Flatten(),
            layers.Dense(128, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Dropout(0.4),
            layers.Dense(num_classes, activation="softmax", name="probs"),
        ],
        name="edgenet",
    )


def build_model(arch: str, num_classes: int):
    """A fresh, uncompiled Keras model for ``arch`` with ``num_classes`` softmax outputs."""
    builders = {"lenet5": lenet5, "alexnet": alexnet, "edgenet": edgenet}
    if arch not in builders:
        raise ValueError(f"unknown architecture {arch!r} (use {', '.join(ARCHS)})")
    return builders[arch](num_classes)
