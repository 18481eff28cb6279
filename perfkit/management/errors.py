"""perfkit's library errors as Django command errors, with the documented exit codes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import CommandError

from perfkit.exceptions import UsageError
from perfkit.indexgen.errors import ModelsOutOfSync


@contextmanager
def command_errors(stderr: Any) -> Iterator[None]:
    """Bad input (:class:`UsageError`, the generator's refusals included) exits 2;
    models the generator could not keep in step exit 1, after printing what to add to
    them by hand; a missing libcst exits 2 with the install line."""
    try:
        yield
    except UsageError as error:
        raise CommandError(str(error), returncode=2) from error
    except ModelsOutOfSync as error:
        stderr.write(f"{error}\nAdd this to the models by hand:\n{error.snippet}")
        raise CommandError("The models were not updated.", returncode=1) from error
    except ModuleNotFoundError as error:
        if error.name != "libcst":
            raise
        raise CommandError(
            "Generating migrations needs libcst, a dependency of perfkit that is missing "
            "from this environment: pip install libcst",
            returncode=2,
        ) from error
