"""The error every reader raises for input that cannot be used.

:class:`InputError` carries the file name, the 1-based data row and the problem in plain language, so
that the app and the command line can show it to the user as it is.
"""

from __future__ import annotations

from typing import Any

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad user input: a file or sequence that cannot be used, with a message meant for the user.

    Parameters
    ----------
    problem
        What is wrong, in plain language (e.g. ``"label must be 0 or 1; found 'yes'"``).
    source
        File name shown in the message, or ``"<input>"`` for typed-in sequences.
    row
        1-based row after the header, as a spreadsheet numbers rows (blank lines count; a quoted field over
        several lines is one row), or ``None`` when the problem concerns the whole input.

    Attributes
    ----------
    source, row, problem
        As given. ``str(err)`` reads like
        ``"pairs.csv, row 7: miRNA sequence has letters other than ACGUTN ('X' at position 3)"``.
    """

    def __init__(self, problem: str, *, source: str = "<input>", row: int | None = None) -> None:
        self.problem = problem
        self.source = source
        self.row = row
        super().__init__(problem)

    def __str__(self) -> str:
        where = self.source if self.row is None else f"{self.source}, row {self.row}"
        return f"{where}: {self.problem}"

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.__class__, (self.problem,), {"source": self.source, "row": self.row})
