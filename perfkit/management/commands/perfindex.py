"""``manage.py perfindex add|remove``: generate index migrations and keep the models in step.

Exit status: 0 done (or dry run printed), 1 generated but the models could not be kept
in step (every file restored, snippet printed), 2 refused (bad input; nothing written).
From ``call_command()`` the command returns normally or raises ``CommandError`` with that
code as ``returncode``. See docs/migrations.md.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from perfkit.indexgen.changes import AddIndexChange, IndexChange, RemoveIndexChange
from perfkit.indexgen.planning import parse_fields
from perfkit.management.arguments import add_generation_options
from perfkit.management.errors import command_errors


class Command(BaseCommand):
    help = (
        "Generate a migration that adds an index on FIELD[,FIELD...] ('-field' is "
        "descending) or removes the Meta.indexes entry INDEX_NAME, and update Meta.indexes."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("action", choices=["add", "remove"])
        parser.add_argument("model", metavar="app_label.Model")
        parser.add_argument(
            "target",
            metavar="FIELD[,FIELD...]|INDEX_NAME",
            help="add: the fields, '-' before a field for descending; remove: the index name.",
        )
        parser.add_argument(
            "--name", help="add: the index name (default: Django's, from table and fields)."
        )
        parser.add_argument(
            "--database", default="default", help="The database to check the change against."
        )
        add_generation_options(parser)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parse_args = parser.parse_args

        def parse_with_descending_fields(args: Any = None, namespace: Any = None) -> Any:
            if args is not None:
                args = move_descending_fields(list(args))
            return parse_args(args, namespace)

        # The shell (run_from_argv) and call_command() both pass their words here.
        setattr(parser, "parse_args", parse_with_descending_fields)  # noqa: B010
        return parser

    def handle(self, *args: Any, **options: Any) -> None:
        app_label, model_name = split_model_label(options["model"])
        if options["action"] == "remove" and options["name"]:
            raise CommandError("--name goes with add, not remove.", returncode=2)
        if options["database"] not in connections:
            raise CommandError(
                f"No database alias {options['database']!r} in DATABASES.", returncode=2
            )
        with command_errors(self.stderr):
            from perfkit.indexgen.generate import generate
            from perfkit.indexgen.report import print_result

            change: IndexChange
            if options["action"] == "add":
                fields = parse_fields(options["target"])
                change = AddIndexChange(app_label, model_name, fields, options["name"])
            else:
                change = RemoveIndexChange(app_label, model_name, options["target"])
            result = generate(
                [change],
                concurrently=options["concurrently"],
                dry_run=options["dry_run"],
                update_models=options["update_models"],
                stderr=self.stderr,
                using=options["database"],
            )
        print_result(result, self.stdout)


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


def split_model_label(label: str) -> tuple[str, str]:
    app_label, _, model_name = label.partition(".")
    if not app_label or not model_name or "." in model_name:
        raise CommandError(
            f"Expected app_label.Model (e.g. school.Attendance), got {label!r}.", returncode=2
        )
    return app_label, model_name
