"""Nucleotide sequences: normalising them to uppercase RNA and saying what is wrong with one.

Holds :func:`normalise_sequence` (whitespace and ``>`` removed, uppercase, ``T`` -> ``U``),
:func:`sequence_problem` and :func:`sequence_letter_problem` (plain-language problems, ``None`` for a
usable sequence), :data:`MIRNA_LENGTH_RANGE`, and the private checks the readers share.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = [
    "MIRNA_LENGTH_RANGE",
    "TARGET_MIN_LENGTH",
    "describe_siteless_targets",
    "siteless_target_rows",
    "target_site_problem",
    "normalise_sequence",
    "sequence_letter_problem",
    "sequence_problem",
]

MIRNA_LENGTH_RANGE = (15, 30)
#: Shortest target (nt) that can hold a seed site (a 6mer). Typed targets must be this long; shorter ones and
#: targets of N only in files are scored (benchmark files hold some) with a note naming their rows.
TARGET_MIN_LENGTH = 6

_MOLECULES = ("miRNA", "target")
_ALLOWED_LETTERS = "ACGUTN"
_BAD_LETTER = re.compile(r"[^ACGUN]")
_WHITESPACE = re.compile(r"\s+")
_UNKNOWN_ONLY = re.compile(r"N+")


def normalise_sequence(seq: str) -> str:
    r"""Normalise one nucleotide sequence to uppercase RNA.

    Removes all whitespace (including line breaks inside the sequence) and leading ``>`` characters,
    uppercases, and turns ``T`` into ``U``. Letters are not validated; see :func:`sequence_problem`.

    Parameters
    ----------
    seq
        Sequence as typed or read from a file, e.g. ``" >acgtT\\n"``.

    Returns
    -------
    str
        The normalised sequence, e.g. ``"ACGUU"``.
    """
    seq = _WHITESPACE.sub("", str(seq)).lstrip(">")
    return seq.upper().replace("T", "U")


def _length_expectation(min_length: int | None, max_length: int | None) -> str:
    if min_length is not None and max_length is not None:
        return f"expected {min_length}–{max_length} nt"
    if min_length is not None:
        return f"expected at least {min_length} nt"
    return f"expected at most {max_length} nt"


def _default_bounds(
    molecule: str, min_length: int | None, max_length: int | None
) -> tuple[int | None, int | None]:
    if molecule not in _MOLECULES:
        raise ValueError(f"molecule must be 'miRNA' or 'target', not {molecule!r}")
    if molecule == "miRNA" and min_length is None and max_length is None:
        return MIRNA_LENGTH_RANGE
    return min_length, max_length


def _sequence_issue(
    seq: str, molecule: str, min_length: int | None, max_length: int | None, allow_empty: bool = False
) -> tuple[str, str] | None:
    """Check one *normalised* sequence; return (short problem, sentence naming the molecule) or None."""
    if not seq:
        if allow_empty:
            return None
        return "empty sequence", f"{molecule} sequence is empty"
    short = _letter_issue(seq)
    if short is not None:
        return short, f"{molecule} sequence has {short}"
    if molecule == "miRNA" and _UNKNOWN_ONLY.fullmatch(seq):
        return "only N (no A, C, G or U)", f"{molecule} sequence is only N (no A, C, G or U)"
    too_short = min_length is not None and len(seq) < min_length
    too_long = max_length is not None and len(seq) > max_length
    if too_short or too_long:
        short = f"{molecule} is {len(seq)} nt; {_length_expectation(min_length, max_length)}"
        return short, short
    return None


def _letter_issue(seq: str) -> str | None:
    """What is wrong with the letters of a *normalised* non-empty sequence, or ``None``."""
    bad = _BAD_LETTER.search(seq)
    if bad is not None:
        return f"letters other than {_ALLOWED_LETTERS} ({bad.group()!r} at position {bad.start() + 1})"
    return None


def sequence_letter_problem(seq: str, molecule: str) -> str | None:
    """For a *normalised* sequence, the sentence saying what is wrong with its letters, or ``None``.

    E.g. ``"miRNA sequence has letters other than ACGUTN ('X' at position 3)"``.
    """
    short = _letter_issue(seq)
    if short is None and molecule == "miRNA" and _UNKNOWN_ONLY.fullmatch(seq):
        return f"{molecule} sequence is only N (no A, C, G or U)"
    return None if short is None else f"{molecule} sequence has {short}"


def target_site_problem(seq: str) -> str | None:
    """For a *normalised* target, why it can hold no seed site (shorter than a 6mer, or only N), or ``None``.

    E.g. ``"target is 4 nt; it must hold a 6mer site (at least 6 nt)"``.
    """
    if len(seq) < TARGET_MIN_LENGTH:
        return f"target is {len(seq)} nt; it must hold a 6mer site (at least {TARGET_MIN_LENGTH} nt)"
    if _UNKNOWN_ONLY.fullmatch(seq):
        return "target sequence is only N (no A, C, G or U)"
    return None


def siteless_target_rows(targets: pd.Series) -> list[int]:
    """1-based rows (index + 1) of *normalised* targets that can hold no seed site; empty ones are not counted.

    Parameters
    ----------
    targets
        Shape ``(n_pairs,)``, as :func:`rnaapp.io.read_pairs` gives them (index = data row − 1).
    """
    lengths = targets.str.len()
    siteless = (lengths > 0) & ((lengths < TARGET_MIN_LENGTH) | targets.str.fullmatch("N+").astype(bool))
    return [int(index) + 1 for index in targets.index[siteless.to_numpy()]]


def describe_siteless_targets(rows: list[int]) -> str | None:
    """A one-line note for the rows of :func:`siteless_target_rows`, or ``None`` when there are none."""
    if not rows:
        return None
    shown = ", ".join(map(str, rows[:10])) + (", ..." if len(rows) > 10 else "")
    noun = "row has a target" if len(rows) == 1 else "rows have targets"
    return (
        f"{len(rows):,} {noun} shorter than {TARGET_MIN_LENGTH} nt or only N, which can hold no seed site; "
        f"they are scored, but their scores mean little (rows {shown})"
    )


def sequence_problem(
    seq: str, *, molecule: str, min_length: int | None = None, max_length: int | None = None
) -> str | None:
    """Describe what is wrong with a sequence, or return ``None`` when it is usable.

    The sequence is normalised first (:func:`normalise_sequence`), so DNA letters, lowercase and
    whitespace are fine. Allowed letters are A, C, G, U, T and N.

    Parameters
    ----------
    seq
        The sequence.
    molecule
        ``"miRNA"`` or ``"target"``; used in the message. For ``"miRNA"`` without explicit bounds the
        length must lie in :data:`MIRNA_LENGTH_RANGE`.
    min_length, max_length
        Inclusive length bounds in nucleotides (``None``: no bound).

    Returns
    -------
    str or None
        E.g. ``"empty sequence"``, ``"letters other than ACGUTN ('X' at position 3)"`` or
        ``"miRNA is 34 nt; expected 15–30 nt"``.
    """
    min_length, max_length = _default_bounds(molecule, min_length, max_length)
    issue = _sequence_issue(normalise_sequence(seq), molecule, min_length, max_length)
    return None if issue is None else issue[0]


def _normalise_series(values: pd.Series) -> pd.Series:
    """Vectorised :func:`normalise_sequence` for a Series of strings."""
    values = values.str.replace(r"\s+", "", regex=True).str.lstrip(">")
    return values.str.upper().str.replace("T", "U", regex=False)
