"""Why the generator refused a change, or could not finish one."""

from __future__ import annotations

from perfkit.exceptions import PerfkitError, UsageError


class IndexChangeRefused(UsageError):
    """The requested change is not made: bad input, or it would be wrong to make it.

    Nothing has been written when this is raised. Commands exit with status 2.
    """


class ModelsOutOfSync(PerfkitError):
    """The migrations were generated but the models could not be kept in sync.

    Every written file has been restored; ``snippet`` is what to add to the model by hand.
    Commands exit with status 1.
    """

    def __init__(self, message: str, snippet: str) -> None:
        super().__init__(message)
        self.snippet = snippet
