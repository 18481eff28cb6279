"""Options ``perfindex`` and ``perfaudit --fix`` share: how the migrations are generated."""

from __future__ import annotations

from argparse import ArgumentParser


def add_generation_options(parser: ArgumentParser, *, prefix: str = "") -> None:
    """``--concurrently``/``--no-concurrently``, ``--dry-run`` and ``--no-update-models``.

    ``prefix`` starts each help text (``"With --fix: "`` for perfaudit).
    """
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--concurrently",
        dest="concurrently",
        action="store_true",
        default=None,
        help=f"{prefix}concurrent index operations (default on PostgreSQL).",
    )
    group.add_argument(
        "--no-concurrently",
        dest="concurrently",
        action="store_false",
        help=f"{prefix}plain AddIndex/RemoveIndex operations (default off PostgreSQL).",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help=f"{prefix}print the migrations and model edits; write nothing.",
    )
    parser.add_argument(
        "--no-update-models",
        dest="update_models",
        action="store_false",
        help=f"{prefix}write only the migrations and print what to add to the models by hand.",
    )
