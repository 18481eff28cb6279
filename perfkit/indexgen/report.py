"""Print a generation result the way ``makemigrations`` prints its migrations."""

from __future__ import annotations

import os
from typing import Any, Protocol

from perfkit.indexgen.generate import GenerationResult


class TextOutput(Protocol):
    """Anything with ``write(str)``: a file, or a command's ``self.stdout``."""

    def write(self, msg: str, /) -> Any: ...


def print_result(result: GenerationResult, stdout: TextOutput) -> None:
    verb = "Wrote" if result.written else "Would write (dry run)"
    for migration in result.migrations:
        kind = "concurrent" if migration.concurrent else "plain"
        stdout.write(f"{verb} {_relative(str(migration.path))} ({kind} operations):\n")
        for description in migration.descriptions:
            stdout.write(f"    - {description}\n")
        if not result.written:
            stdout.write(migration.content)
    for edit in result.model_edits:
        stdout.write(
            f"{'Updated' if result.written else 'Would update'} {_relative(str(edit.path))}:\n"
        )
        if not result.written:
            stdout.write(edit.diff())
    if result.manual_snippet:
        stdout.write("Models not updated (--no-update-models). Add by hand:\n")
        stdout.write(result.manual_snippet + "\n")


def _relative(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return path
    return path if relative.startswith("..") else relative
