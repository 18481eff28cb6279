"""``manage.py perfindex add|remove``: generate index migrations and keep the models in step.

Exit status: 0 done (or dry run printed), 1 generated but the models could not be kept
in step (every file restored, snippet printed), 2 refused (bad input; nothing written).
See docs/migrations.md.
"""

from __future__ import annotations

import sys
from argparse import SUPPRESS, ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from perfkit.indexgen.changes import AddIndexChange, IndexChange, RemoveIndexChange
from perfkit.indexgen.errors import IndexChangeRefused, ModelsOutOfSync
from perfkit.indexgen.planning import parse_fields


class Command(BaseCommand):
    help = "Generate a migration that adds or removes an index, and update Meta.indexes."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser(
            "add", help="Add an index on FIELD[,FIELD...]; '-field' is descending."
        )
        add.add_argument("model", metavar="app_label.Model")
        add.add_argument("fields", metavar="FIELD[,FIELD...]")
        add.add_argument("--name", help="Index name (default: Django's, from table and fields).")
        remove = actions.add_parser("remove", help="Remove the Meta.indexes entry INDEX_NAME.")
        remove.add_argument("model", metavar="app_label.Model")
        remove.add_argument("index_name", metavar="INDEX_NAME")
        for subparser in (add, remove):
            add_generation_options(subparser)
            add_django_options(subparser)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parse_args = parser.parse_args

        def parse_with_descending_fields(args: Any = None, namespace: Any = None) -> Any:
            words = list(args) if args is not None else sys.argv[2:]
            return parse_args(move_descending_fields(words), namespace)

        # Both the shell (run_from_argv) and call_command() go through parse_args.
        setattr(parser, "parse_args", parse_with_descending_fields)  # noqa: B010
        return parser

    def handle(self, *args: Any, **options: Any) -> None:
        generate, print_result = load_generator()
        app_label, model_name = split_model_label(options["model"])
        change: IndexChange
        try:
            if options["action"] == "add":
                change = AddIndexChange(
                    app_label, model_name, parse_fields(options["fields"]), options["name"]
                )
            else:
                change = RemoveIndexChange(app_label, model_name, options["index_name"])
            result = generate(
                [change],
                concurrently=options["concurrently"],
                dry_run=options["dry_run"],
                update_models=options["update_models"],
                stderr=self.stderr,
            )
        except IndexChangeRefused as error:
            raise CommandError(str(error), returncode=2) from error
        except ModelsOutOfSync as error:
            self.stderr.write(f"{error}\nAdd this to the model by hand:\n{error.snippet}")
            raise CommandError("The models were not updated.", returncode=1) from error
        print_result(result, self.stdout)


def load_generator() -> tuple[Any, Any]:
    """``generate`` and ``print_result``, or a clear error when libcst is missing.

    libcst is a dependency of perfkit: only a broken install (``--no-deps``) lacks it.
    """
    try:
        from perfkit.indexgen.generate import generate
        from perfkit.indexgen.report import print_result
    except ModuleNotFoundError as error:
        if error.name != "libcst":
            raise
        raise CommandError(
            "perfindex needs libcst, a perfkit dependency missing here: pip install libcst",
            returncode=2,
        ) from error
    return generate, print_result


def add_generation_options(parser: ArgumentParser) -> None:
    """Options shared by ``perfindex add/remove`` and ``perfaudit --fix``."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--concurrently",
        dest="concurrently",
        action="store_true",
        default=None,
        help="Use AddIndexConcurrently/RemoveIndexConcurrently (default on PostgreSQL).",
    )
    group.add_argument(
        "--no-concurrently",
        dest="concurrently",
        action="store_false",
        help="Use plain AddIndex/RemoveIndex (default off PostgreSQL).",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="Print the migrations and model edits; write nothing.",
    )
    parser.add_argument(
        "--no-update-models",
        dest="update_models",
        action="store_false",
        help="Write only the migrations and print what to add to the models by hand.",
    )


def move_descending_fields(words: list[str]) -> list[str]:
    """Let ``perfindex add app.Model -created_at`` work from the shell.

    argparse takes ``-created_at`` for an option. A word that starts with one dash and a
    letter and is not a short option (``-v2``, ``-h``) is a field list: move it after
    ``--`` so argparse reads it as the positional argument it is.
    """
    if not words or words[0] != "add" or "--" in words:
        return words
    fields = [
        word
        for word in words[1:]
        if len(word) > 2 and word[0] == "-" and word[1].isalpha() and word[:2] not in {"-v", "-h"}
    ]
    if not fields:
        return words
    rest = [word for word in words[1:] if word not in fields]
    return ["add", *rest, "--", *fields]


def add_django_options(parser: ArgumentParser) -> None:
    """Accept Django's own options after the action too (``add … --settings=…``).

    argparse hands everything after ``add``/``remove`` to the subparser; SUPPRESS keeps
    the values the top parser already set when an option is not repeated here.
    """
    parser.add_argument("-v", "--verbosity", type=int, choices=[0, 1, 2, 3], default=SUPPRESS)
    for flag in ("--traceback", "--no-color", "--force-color", "--skip-checks"):
        parser.add_argument(flag, action="store_true", default=SUPPRESS, help=SUPPRESS)
    for option in ("--settings", "--pythonpath"):
        parser.add_argument(option, default=SUPPRESS, help=SUPPRESS)


def split_model_label(label: str) -> tuple[str, str]:
    app_label, _, model_name = label.partition(".")
    if not app_label or not model_name or "." in model_name:
        raise CommandError(
            f"Expected app_label.Model (e.g. school.Attendance), got {label!r}.", returncode=2
        )
    return app_label, model_name


# -- perfaudit --fix: the options and the handling, kept here so perfaudit stays thin ----


def add_fix_options(parser: ArgumentParser) -> None:
    """``--fix``, ``--yes`` and the generation options, for ``perfaudit``."""
    parser.add_argument(
        "--fix",
        action="store_true",
        help="Generate migrations for every fixable finding (shows the plan, then asks).",
    )
    parser.add_argument("--yes", action="store_true", help="With --fix: do not ask.")
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--concurrently",
        dest="concurrently",
        action="store_true",
        default=None,
        help="With --fix: concurrent index operations (default on PostgreSQL).",
    )
    group.add_argument(
        "--no-concurrently",
        dest="concurrently",
        action="store_false",
        help="With --fix: plain index operations (default off PostgreSQL).",
    )
    parser.add_argument(
        "--no-update-models",
        dest="update_models",
        action="store_false",
        help="With --fix: write only the migrations; print what to add to the models.",
    )


def apply_audit_fixes(command: BaseCommand, fixes: list[Any], options: dict[str, Any]) -> bool:
    """Run ``perfaudit --fix`` for the findings' ``fix`` mappings; True when files were written."""
    try:
        from perfkit.indexgen.fixes import run_fixes
    except ModuleNotFoundError as error:  # pragma: no cover - libcst is a dependency
        if error.name != "libcst":
            raise
        raise CommandError(
            "--fix needs libcst, a perfkit dependency missing here: pip install libcst",
            returncode=2,
        ) from error
    try:
        return run_fixes(
            [fix for fix in fixes if isinstance(fix, dict)],
            assume_yes=options.get("yes", False),
            ask=lambda prompt: ask_on(command, prompt),
            stdout=command.stdout,
            stderr=command.stderr,
            concurrently=options.get("concurrently"),
            dry_run=options.get("dry_run", False),
            update_models=options.get("update_models", True),
        )
    except IndexChangeRefused as error:
        raise CommandError(str(error), returncode=2) from error
    except ModelsOutOfSync as error:
        command.stderr.write(f"{error}\nAdd this to the models by hand:\n{error.snippet}")
        raise CommandError("The models were not updated.", returncode=1) from error


def ask_on(command: BaseCommand, prompt: str) -> str:
    """Ask on the command's own stdout; read one line of standard input."""
    command.stdout.write(prompt, ending="")
    command.stdout.flush()
    line = sys.stdin.readline()
    if not line:
        raise EOFError
    return line
