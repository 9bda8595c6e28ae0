"""Train a character CNN: ``python -m export train --arch lenet5 --dataset mnist ...``.

A run directory gets model.keras (best validation loss), curves.png, confusion.png,
metrics.json, labels.json and convention.json (the crops the model was trained on).
The validation split comes from the training data; the test set is only used at the end.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from export import styles
from export.arch import ARCHS, build_model
from export.augment import AugmentConfig, augment_batch, framing_scale
from export.data import DIGITS, DataError, Dataset, digits_subset, load, load_folder
from export.evaluate import as_input, evaluate, plot_confusion, summary
from export.negatives import negative_crops, touching_runs
from hwr_edge.classifier import NOT_A_CHARACTER, TOUCHING_CHARACTERS
from hwr_edge.convention import InputConvention
from hwr_edge.normalize import ink_binary, normalize_crop, stroke_width

# How each dataset centres its glyphs (MNIST: centre of mass; EMNIST: bounding box).
CENTER = {"mnist": "mass", "emnist47": "box"}
# How much to blur photo crops (Gaussian sigma, crop pixels): EMNIST blurred each NIST image
# before scaling it down, MNIST did not. Chosen on 660 synthetic pages (seed 11, not the
# benchmark's): errors 1168 -> 917 with the EMNIST-47 model at 0.5 (862 at 0.6, but the
# "not a character" class, trained on sharp crops, then read a smiley as Q); the MNIST model
# lost 9 on handwritten digits with blur (docs/results-accuracy.md).
BLUR = {"emnist47": 0.5}


def glyph_box_side(mask: np.ndarray) -> int:
    """Longest side of the bounding box of a boolean ink mask (0 when empty)."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return 0
    return int(max(ys.max() - ys.min(), xs.max() - xs.min()) + 1)


def measure_convention(x: np.ndarray, dataset: str, sample: int = 3000) -> InputConvention:
    """The input convention of training crops ``x``: median glyph size and stroke width,
    measured with the runtime's own ink mask and stroke estimate."""
    rng = np.random.default_rng(0)
    pick = x[rng.choice(len(x), size=min(sample, len(x)), replace=False)]
    masks = [ink_binary(img) for img in pick]
    sides = [s for s in (glyph_box_side(m) for m in masks) if s]
    strokes = [w for w in (stroke_width(m) for m in masks) if w]
    return InputConvention(
        fit_box=int(round(float(np.median(sides)))),
        center=CENTER.get(dataset, "mass"),
        stroke_px=round(float(np.median(strokes)), 2),
        blur=BLUR.get(dataset, 0.0),
    )


def split_validation(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffled (train, validation) index arrays; at least one validation item."""
    order = np.random.default_rng(seed).permutation(n)
    n_val = max(1, int(round(n * fraction)))
    if n_val >= n:
        raise DataError(f"need at least 2 training images for a validation split, got {n}")
    return order[n_val:], order[:n_val]


def class_weights(y: np.ndarray, num_classes: int) -> np.ndarray:
    """Inverse-frequency class weights (mean 1 over the samples): the evaluation sets are
    balanced while the EMNIST ByClass training pool is not."""
    counts = np.bincount(y, minlength=num_classes).astype(float)
    weights = np.where(counts > 0, len(y) / (num_classes * np.maximum(counts, 1)), 0.0)
    return weights / (weights[y].mean())


def validation_data(x, y, weights=None) -> tuple:
    """Validation inputs for ``fit``, weighted like the training batches when ``weights``."""
    if weights is None:
        return as_input(x), y
    return as_input(x), y, weights[y].astype(np.float32)


def make_batches(
    x, y, batch_size: int, seed: int, aug: AugmentConfig | None, weights=None, first_epoch=0
):
    """A Keras PyDataset over uint8 crops: reshuffled and (optionally) augmented each epoch;
    ``first_epoch`` > 0 continues the epoch numbering (fresh shuffles and augmentations)."""
    import keras

    class Batches(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(workers=1, use_multiprocessing=False)
            self.epoch = first_epoch
            self.order = np.random.default_rng([seed, first_epoch]).permutation(len(x))

        def __len__(self):
            return int(np.ceil(len(x) / batch_size))

        def __getitem__(self, index):
            idx = self.order[index * batch_size : (index + 1) * batch_size]
            imgs = x[idx]
            if aug is not None:
                imgs = augment_batch(imgs, np.random.default_rng([seed, self.epoch, index]), aug)
            if weights is None:
                return as_input(imgs), y[idx]
            return as_input(imgs), y[idx], weights[y[idx]].astype(np.float32)

        def on_epoch_end(self):
            self.epoch += 1
            self.order = np.random.default_rng([seed, self.epoch]).permutation(len(x))

    return Batches()


def plot_curves(history: dict, path: Path, title: str) -> None:
    """Training and validation loss/accuracy per epoch as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key in zip(axes, ("loss", "accuracy"), strict=True):
        for prefix in ("", "val_"):
            values = history.get(prefix + key, [])
            ax.plot(range(1, len(values) + 1), values, marker="o", label=prefix + key)
        ax.set_xlabel("epoch")
        ax.set_title(key)
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def read_run_info(model_path: Path) -> tuple[list[str], InputConvention, str]:
    """Labels, input convention and dataset of the run that produced ``model_path``."""
    run_dir = Path(model_path).parent
    try:
        labels = json.loads((run_dir / "labels.json").read_text())
        convention = InputConvention.from_json((run_dir / "convention.json").read_text())
        dataset = json.loads((run_dir / "metrics.json").read_text()).get("dataset", "")
    except (OSError, ValueError) as exc:
        raise DataError(f"{run_dir}: not a training run directory ({exc})") from None
    return labels, convention, dataset


def resume_info(resume_from: Path) -> dict:
    """What a continued run inherits from the run of ``resume_from`` (its best checkpoint):
    labels, convention, dataset, epochs and seconds already trained, best validation loss."""
    labels, convention, dataset = read_run_info(resume_from)
    metrics = json.loads((Path(resume_from).parent / "metrics.json").read_text())
    try:
        epochs = metrics.get("epochs_before", 0) + metrics["best_epoch"]
        seconds = metrics.get("train_seconds_total", metrics["train_seconds"])
        val_loss = min(metrics["history"]["val_loss"])
    except (KeyError, ValueError) as exc:
        raise DataError(f"{resume_from}: incomplete metrics.json ({exc})") from None
    return {
        "labels": labels,
        "convention": convention,
        "dataset": dataset,
        "epochs_before": int(epochs),
        "seconds_before": float(seconds),
        "base_best_val_loss": float(val_loss),
    }


def continuation_record(resume_from: Path, base: dict, best_epoch: int, seconds: float) -> dict:
    """metrics.json fields that mark a run as the continuation of an earlier one."""
    return {
        "resumed_from": str(resume_from),
        "epochs_before": base["epochs_before"],
        "epochs_total": base["epochs_before"] + best_epoch,
        "train_seconds_total": round(base["seconds_before"] + seconds, 1),
        "base_best_val_loss": base["base_best_val_loss"],
    }


def add_class(model):
    """``model`` with one more output class (the last): every layer keeps its weights, the new
    class gets zero output weights and a low bias, so it starts by predicting the others."""
    n = model.output_shape[-1]
    grown = build_model(model.name, n + 1)
    for old, new in zip(model.layers[:-1], grown.layers[:-1], strict=True):
        new.set_weights(old.get_weights())
    kernel, bias = model.layers[-1].get_weights()
    wide = np.zeros((kernel.shape[0], n + 1), kernel.dtype)
    wide[:, :n] = kernel
    grown.layers[-1].set_weights([wide, np.append(bias, bias.min() - 2.0).astype(bias.dtype)])
    return grown


def command_line(flags: dict) -> str:
    """The ``python -m export train`` command that reproduces a run: each flag with its
    value, ``True`` as the bare flag, ``None`` and ``False`` left out (in the given order)."""
    parts = ["python -m export train"]
    for flag, value in flags.items():
        if value is True:
            parts.append(flag)
        elif value is not None and value is not False:
            parts.append(f"{flag} {value}")
    return " ".join(parts)


def load_training_data(dataset, data_dir, finetune_from, folder) -> tuple:
    """(dataset name, train Dataset, test Dataset or None, convention or None)."""
    if finetune_from is None:
        return dataset, load(dataset, data_dir, "train"), load(dataset, data_dir, "test"), None
    if folder is None:
        raise DataError("--finetune-from needs --folder (the corrected crops)")
    labels, convention, base_dataset = read_run_info(finetune_from)
    dataset = dataset or base_dataset
    crops = load_folder(folder, convention, labels)
    if data_dir is None:
        return dataset, crops, None, convention
    base = load(dataset, data_dir, "train")
    if base.labels != labels:
        raise DataError(f"{data_dir}: dataset labels differ from the model's labels")
    mixed = Dataset(np.concatenate([base.x, crops.x]), np.concatenate([base.y, crops.y]), labels)
    return dataset, mixed, load(dataset, data_dir, "test"), convention


def fit(
    model,
    train_set: Dataset,
    dataset,
    epochs,
    seed,
    augment,
    batch_size,
    convention,
    work,
    verbose,
    learning_rate: float,
    first_epoch: int = 0,
    extra: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple:
    """Fit ``model`` with a validation split, checkpointing the best epoch to ``work``;
    returns (best model, Keras history dict, fit seconds, n_train, validation indices).
    ``extra`` (crops and labels added to the dataset: drawn symbols, touching runs, extra
    digits) is split 90/10 on its own, so the dataset's own validation split stays
    the same with or without it."""
    import keras

    labels = train_set.labels
    tr, va = split_validation(len(train_set.y), 0.1, seed)
    x_tr, y_tr = train_set.x[tr], train_set.y[tr]
    x_va, y_va = train_set.x[va], train_set.y[va]
    if extra is not None:
        x_extra, y_extra = extra
        n_va = len(y_extra) // 10
        x_tr = np.concatenate([x_tr, x_extra[n_va:]])
        y_tr = np.concatenate([y_tr, y_extra[n_va:].astype(y_tr.dtype)])
        x_va = np.concatenate([x_va, x_extra[:n_va]])
        y_va = np.concatenate([y_va, y_extra[:n_va].astype(y_va.dtype)])
    weights = class_weights(y_tr, len(labels)) if dataset == "emnist47" else None
    aug = AugmentConfig(scale=framing_scale(convention.fit_box)) if augment else None
    steps = int(np.ceil(len(y_tr) / batch_size)) * epochs
    rate = keras.optimizers.schedules.CosineDecay(learning_rate, decay_steps=steps, alpha=0.02)
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    callbacks = [
        keras.callbacks.ModelCheckpoint(
            work / "model.keras", monitor="val_loss", save_best_only=True, verbose=0
        ),
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=4),
    ]
    start = time.perf_counter()
    history = model.fit(
        make_batches(x_tr, y_tr, batch_size, seed, aug, weights, first_epoch),
        validation_data=validation_data(x_va, y_va, weights),
        epochs=epochs,
        callbacks=callbacks,
        verbose=verbose,
    )
    seconds = time.perf_counter() - start
    best = keras.models.load_model(work / "model.keras")
    return best, history.history, seconds, len(y_tr), va


def report(best, train_set, test_set, val_idx, title, emnist_dir, work) -> dict:
    """Test (or, without a test set, validation) metrics, plots and the cross-dataset digit
    accuracy of a digits model."""
    labels = train_set.labels
    metrics = {}
    if test_set is not None:
        test = evaluate(best, test_set.x, test_set.y, labels)
        test["dedup_removed"] = test_set.removed
        plot_confusion(
            test, work / "confusion.png", f"{title}: test accuracy {test['accuracy']:.4f}"
        )
        metrics["test"] = {**summary(test), "confusion": test["confusion"]}
        for key in ("accuracy", "precision_macro", "recall_macro", "f1_macro", "most_confused"):
            metrics[key] = test[key]
    else:
        val = evaluate(best, train_set.x[val_idx], train_set.y[val_idx], labels)
        plot_confusion(val, work / "confusion.png", f"{title}: validation accuracy")
        metrics["validation"] = summary(val)
    if labels == DIGITS and emnist_dir is not None and Path(emnist_dir).is_dir():
        digits = digits_subset(emnist_dir)
        metrics["emnist_digits"] = summary(evaluate(best, digits.x, digits.y, DIGITS))
        metrics["emnist_digits"]["dedup_removed"] = digits.removed
    return metrics


def train(
    arch: str,
    dataset: str,
    data_dir: Path | None,
    epochs: int,
    out: Path,
    seed: int = 0,
    augment: bool = True,
    batch_size: int = 128,
    finetune_from: Path | None = None,
    folder: Path | None = None,
    emnist_dir: Path | None = None,
    limit: int | None = None,
    verbose: int | str = "auto",
    resume_from: Path | None = None,
    learning_rate: float | None = None,
    negatives: int = 0,
    touching: int = 0,
    extra_digits: Path | None = None,
    digit_styles: int = 0,
) -> Path:
    """Train (or fine-tune, or continue) a model and write its run directory ``out``.

    Results are written to ``<out>.partial`` and moved into place when the run finishes.
    ``limit`` keeps only the first N training images (quick checks). ``resume_from`` continues
    the training of an earlier run's best checkpoint on the same data, validation split and
    seed, for ``epochs`` more epochs (new shuffles and augmentations). ``negatives`` > 0 adds
    that many drawn non-characters (``export.negatives``) as a "not a character" class, and
    ``touching`` > 0 that many runs of two or three touching training characters as a class of
    their own ("touching characters"); a resumed model without those classes gets them added
    to its output layer. ``digit_styles`` > 0 adds that many footed 1s and slashed 0s drawn on
    training digits (``export.styles``). Returns ``out``.
    """
    import keras

    keras.utils.set_random_seed(seed)
    out = Path(out)
    if resume_from is not None and finetune_from is not None:
        raise DataError("use either --resume-from or --finetune-from, not both")
    base = resume_info(resume_from) if resume_from is not None else None
    if base is not None:
        if dataset not in (None, base["dataset"]):
            raise DataError(f"{resume_from}: trained on {base['dataset']}, not {dataset}")
        dataset = base["dataset"]
    dataset, train_set, test_set, convention = load_training_data(
        dataset, data_dir, finetune_from, folder
    )
    specials = [NOT_A_CHARACTER] * bool(negatives) + [TOUCHING_CHARACTERS] * bool(touching)
    grown = [*train_set.labels, *specials]
    if base is not None:
        if base["labels"] != grown[: len(base["labels"])] or len(base["labels"]) < len(
            train_set.labels
        ):
            raise DataError(f"{data_dir}: dataset labels differ from the model's labels")
        convention = base["convention"]
    if limit:
        train_set = Dataset(train_set.x[:limit], train_set.y[:limit], train_set.labels)
    if convention is None:
        convention = measure_convention(train_set.x, dataset)
    extra = None
    if specials:
        extra = _non_characters(train_set, grown, negatives, touching, seed, convention)
        train_set = Dataset(train_set.x, train_set.y, grown)
    if extra_digits is not None:
        digits = _digits_from(extra_digits, train_set.labels, convention)
        extra = digits if extra is None else _shuffled(extra, digits, [seed, 1])
    if digit_styles:
        x_fit, y_fit = _fitting(train_set, seed)
        styled = styles.digit_styles(x_fit, y_fit, train_set.labels, digit_styles, seed)
        extra = styled if extra is None else _shuffled(extra, styled, [seed, 2])
    rate = learning_rate
    if finetune_from is None and resume_from is None:
        model, learning_rate = build_model(arch, len(train_set.labels)), learning_rate or 1e-3
    else:
        model = keras.models.load_model(finetune_from or resume_from)
        learning_rate, arch = learning_rate or 2e-4, model.name
        while model.output_shape[-1] < len(train_set.labels):
            model = add_class(model)
    tuned = finetune_from is not None
    command = command_line(
        {
            "--arch": arch,
            "--dataset": dataset,
            "--data-dir": data_dir,
            "--epochs": epochs,
            "--out": out,
            "--seed": seed,
            "--batch-size": batch_size,
            "--augment" if augment else "--no-augment": True,
            "--finetune-from": finetune_from,
            "--folder": folder if tuned else None,
            "--resume-from": resume_from,
            "--lr": None if rate is None else f"{rate:g}",
            "--limit": limit or None,
            "--negatives": negatives or None,
            "--touching": touching or None,
            "--extra-digits": extra_digits,
            "--digit-styles": digit_styles or None,
        }
    )

    work = out.with_name(out.name + ".partial")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    (work / "labels.json").write_text(json.dumps(train_set.labels))
    (work / "convention.json").write_text(convention.to_json())
    best, history, seconds, n_train, val_idx = fit(
        model,
        train_set,
        dataset,
        epochs,
        seed,
        augment,
        batch_size,
        convention,
        work,
        verbose,
        learning_rate,
        base["epochs_before"] if base else 0,
        extra,
    )
    title = f"{arch} {dataset}"
    plot_curves(history, work / "curves.png", title)
    emnist_dir = emnist_dir or (Path(data_dir).parent / "emnist" if data_dir else None)
    best_epoch = int(np.argmin(history["val_loss"])) + 1
    metrics = {
        "arch": arch,
        "dataset": dataset,
        "labels": train_set.labels,
        "command": command,
        "seed": seed,
        "augment": augment,
        "batch_size": batch_size,
        "epochs_run": len(history["loss"]),
        "epochs_max": epochs,
        "best_epoch": best_epoch,
        "train_seconds": round(seconds, 1),
        "learning_rate": learning_rate,
        **(continuation_record(resume_from, base, best_epoch, seconds) if base else {}),
        "n_train": int(n_train),
        "n_val": int(len(val_idx)),
        "params": int(best.count_params()),
        "convention": json.loads(convention.to_json()),
        **report(best, train_set, test_set, val_idx, title, emnist_dir, work),
        "history": {k: [float(v) for v in vals] for k, vals in history.items()},
    }
    (work / "metrics.json").write_text(json.dumps(metrics, indent=2))
    shutil.rmtree(out, ignore_errors=True)
    work.rename(out)
    return out


def _fitting(train_set: Dataset, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The crops and labels ``fit`` trains on (the training set without its validation tenth):
    what added crops may be drawn from without showing a validation image."""
    fit_part = split_validation(len(train_set.y), 0.1, seed)[0]
    return train_set.x[fit_part], train_set.y[fit_part]


def _non_characters(train_set, labels, negatives, touching, seed, convention) -> tuple:
    """Crops and labels of the classes that are no character: ``negatives`` drawn symbols and
    ``touching`` runs of touching training characters (from the fitting 90% of the training
    set only), shuffled together when both are asked for, so that the validation tenth holds
    both kinds."""
    x = negative_crops(negatives, seed, convention)
    y = np.full(len(x), labels.index(NOT_A_CHARACTER) if negatives else 0, np.int64)
    if touching:
        pool_x, pool_y = _fitting(train_set, seed)
        runs = touching_runs(pool_x, pool_y, train_set.labels, touching, seed, convention)
        run_y = np.full(len(runs), labels.index(TOUCHING_CHARACTERS), np.int64)
        x, y = _shuffled((x, y), (runs, run_y), seed)
    return x, y


def _digits_from(mnist_dir: Path, labels: list[str], convention) -> tuple:
    """MNIST's training digits as crops of the model's ``convention`` (re-framed and centred
    like a photo crop) and their classes in ``labels``."""
    mnist = load("mnist", mnist_dir, "train")
    x = np.stack([normalize_crop(img, convention) for img in mnist.x])
    y = np.array([labels.index(mnist.labels[c]) for c in mnist.y.tolist()], np.int64)
    return x, y


def _shuffled(a: tuple, b: tuple, key) -> tuple:
    """Two (crops, labels) sets as one, shuffled by ``np.random.default_rng(key)`` (both kinds
    in any validation tenth)."""
    x, y = np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]])
    order = np.random.default_rng(key).permutation(len(y))
    return x[order], y[order]


def run(args: argparse.Namespace) -> int:
    """``python -m export train``: one-line errors for bad input, exit code 0 on success."""
    if args.finetune_from is None and args.data_dir is None:
        print("error: --data-dir is required (unless fine-tuning)", file=sys.stderr)
        return 2
    if args.finetune_from is None and args.resume_from is None and args.dataset is None:
        print("error: --dataset is required (unless fine-tuning or resuming)", file=sys.stderr)
        return 2
    try:
        out = train(
            args.arch,
            args.dataset,
            args.data_dir,
            args.epochs,
            args.out,
            seed=args.seed,
            augment=args.augment,
            batch_size=args.batch_size,
            finetune_from=args.finetune_from,
            folder=args.folder,
            emnist_dir=args.emnist_dir,
            limit=args.limit,
            verbose=1,
            resume_from=args.resume_from,
            learning_rate=args.lr,
            negatives=args.negatives,
            touching=args.touching,
            extra_digits=args.extra_digits,
            digit_styles=args.digit_styles,
        )
    except (DataError, OSError, ValueError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: {message}", file=sys.stderr)
        return 2
    metrics = json.loads((out / "metrics.json").read_text())
    report = {k: metrics.get(k) for k in ("accuracy", "f1_macro", "train_seconds", "epochs_run")}
    if "emnist_digits" in metrics:
        report["emnist_digits_accuracy"] = metrics["emnist_digits"]["accuracy"]
    print(f"{out}: {json.dumps(report)}")
    return 0


def register(subparsers) -> None:
    """Add the ``train`` subcommand."""
    p = subparsers.add_parser("train", help="train or fine-tune a character CNN")
    p.add_argument("--arch", choices=ARCHS, default="lenet5")
    p.add_argument("--dataset", choices=["mnist", "emnist47"], help="default: the base model's")
    p.add_argument("--data-dir", type=Path, help="folder with the dataset's IDX files")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--out", type=Path, required=True, help="run directory to write")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--finetune-from", type=Path, help="model.keras of an earlier run")
    p.add_argument("--folder", type=Path, help="corrected crops: one subfolder per character")
    p.add_argument("--emnist-dir", type=Path, help="EMNIST folder for the cross-dataset digit test")
    p.add_argument("--limit", type=int, help="train on the first N training images only")
    p.add_argument(
        "--resume-from", type=Path, help="model.keras of an earlier run: train it further"
    )
    p.add_argument(
        "--lr", type=float, help="peak learning rate (default 1e-3; 2e-4 when resuming/tuning)"
    )
    p.add_argument(
        "--negatives",
        type=int,
        default=0,
        help="add N drawn non-characters as a 'not a character' class (export/negatives.py)",
    )
    p.add_argument(
        "--touching",
        type=int,
        default=0,
        help="add N runs of 2-3 touching training characters as a 'touching characters' class",
    )
    p.add_argument(
        "--extra-digits",
        type=Path,
        help="MNIST folder: add its 60,000 training digits, re-framed to the model's crops",
    )
    p.add_argument(
        "--digit-styles",
        type=int,
        default=0,
        help="add N footed 1s and slashed 0s drawn on training digits (export/styles.py)",
    )
    p.set_defaults(func=run)
