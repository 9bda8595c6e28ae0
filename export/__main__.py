"""``python -m export <command>``: one subcommand per build-stage job."""

from __future__ import annotations

import argparse
import sys
from importlib import import_module

# subcommand -> module that defines ``register(subparsers)``; each sets ``func`` on its parser.
COMMANDS = {
    "train": "export.train",
    "evaluate": "export.evaluate",
    "convert": "export.convert",
    "quantize": "export.quantize",
    "build": "export.build",
    "synth": "export.synth",
    "accuracy": "export.accuracy",
    "restamp": "export.restamp",
    "rejection": "export.rejection",
    "stress": "export.stress",
    "forms": "export.forms",
    "widths": "export.widths",
    "recover": "export.recover",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m export",
        description="Build-stage jobs: train, evaluate, convert, quantize, build, synth, accuracy, "
        "restamp, rejection, stress, forms, widths, recover.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for module in COMMANDS.values():
        import_module(module).register(sub)
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
