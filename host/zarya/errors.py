"""The root of every error a user can act on.

A `ZaryaError` is a problem with what was asked (a bad file, value, port or board answer), not a
bug: the `zarya` command prints it on one line, without a traceback, and exits 1.  Each package
defines its own subclasses beside the code that raises them (DoseInputError in zarya.dose,
LinkError in zarya.link, ...), keeping the builtin base they always had (ValueError for bad
input, RuntimeError for a failed operation) so callers that catch those still work.
"""


class ZaryaError(Exception):
    """A problem the user can fix: printed without a traceback."""


class UsageError(ZaryaError, ValueError):
    """Command-line arguments that do not fit together."""
