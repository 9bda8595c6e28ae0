"""Folder names for character crops (``hwr-edge recognize --save-crops``, fine-tuning input).

A label's folder is the character itself, except where a file system could not keep it
apart: lower-case letters get ``<c>_lower`` (on macOS and Windows ``a`` and ``A`` would be
one folder), and characters that are unsafe in a file name (``?``, ``/``, ...) get
``U+XXXX``. ``folder_label`` reads all three forms back, and any one-character name.
"""

from __future__ import annotations

import re

UNSAFE = set('/\\.:*"<>|?')
_LOWER = re.compile(r"^([a-z])_lower$")
_CODE = re.compile(r"^U\+([0-9A-Fa-f]{4,6})$")


def label_folder(char: str) -> str:
    """The folder name for the label ``char``."""
    if char.islower() and char.upper() != char:
        return f"{char}_lower"
    if char.isprintable() and char.strip() and char not in UNSAFE:
        return char
    return f"U+{ord(char):04X}"


def folder_label(name: str) -> str:
    """The label a crop folder stands for; ``ValueError`` for a name of no known form."""
    if len(name) == 1:
        return name
    if match := _LOWER.match(name):
        return match.group(1)
    if match := _CODE.match(name):
        return chr(int(match.group(1), 16))
    raise ValueError(
        f"folder {name!r}: subfolder names must be the label (one character), "
        "'<letter>_lower' or U+XXXX"
    )
