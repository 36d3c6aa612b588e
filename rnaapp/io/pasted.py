"""Sequences typed or pasted by a user: a pasted FASTA record, and a one-row pair table from two sequences."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from rnaapp.io.errors import InputError
from rnaapp.io.parsed_pairs import _finalise, _ParsedPairs
from rnaapp.io.sequences import target_site_problem

__all__ = ["pairs_from_sequences", "split_pasted_record"]

_SEQUENCE_WORD = re.compile(r"[ACGUTNacgutn]+")


def split_pasted_record(text: str) -> tuple[str | None, str]:
    """Split a pasted FASTA record into its name and its sequence text.

    A record pasted into a one-line box arrives with its line breaks turned into spaces
    (``">hsa-let-7a-5p MIMAT0000062 UGAGGUAGUAGGUUGUAUAGUU"``): then the trailing words made only of
    nucleotide letters are the sequence and the words before them the header.

    Parameters
    ----------
    text
        What was typed or pasted.

    Returns
    -------
    (str or None, str)
        The first word of the header (``None`` without a header) and the sequence text (not normalised).
    """
    text = str(text).strip()
    if not text.startswith(">"):
        return None, text
    if "\n" in text:
        header, sequence = text[1:].split("\n", 1)
        words = header.split()
        return (words[0] if words else None), sequence
    words = text[1:].split()
    if len(words) == 1 and _SEQUENCE_WORD.fullmatch(words[0]):
        return None, words[0]  # '>' typed before a bare sequence
    first_sequence_word = len(words)
    while first_sequence_word > 1 and _SEQUENCE_WORD.fullmatch(words[first_sequence_word - 1]):
        first_sequence_word -= 1
    name = words[0] if words else None
    return name, "".join(words[first_sequence_word:])


def pairs_from_sequences(
    mirna: str, target: str, *, mirna_id: str = "miRNA", target_id: str = "target"
) -> pd.DataFrame:
    """Build a one-row pair table from typed-in sequences, validated like :func:`read_pairs`.

    Parameters
    ----------
    mirna, target
        Sequences, 5'→3'; DNA letters, lowercase, whitespace and a pasted FASTA header line are fine.
    mirna_id, target_id
        Names for the two sequences.

    Returns
    -------
    pandas.DataFrame
        Shape ``(1, 4)``: ``mirna_id``, ``mirna_seq``, ``target_id``, ``target_seq``.

    Raises
    ------
    InputError
        With source ``"<input>"`` and no row number, e.g. ``"<input>: miRNA is 34 nt; expected 15–30 nt"``;
        also for a target that can hold no seed site (:func:`rnaapp.io.sequences.target_site_problem`).
    """
    table = pd.DataFrame(
        {
            "mirna_id": [str(mirna_id)],
            "mirna_seq": [split_pasted_record(mirna)[1]],
            "target_id": [str(target_id)],
            "target_seq": [split_pasted_record(target)[1]],
        },
        dtype=str,
    )
    parsed = _ParsedPairs(table, list(table.columns), [], np.zeros(1, dtype=bool), "typed sequences")
    pairs = _finalise(
        parsed,
        source="<input>",
        require_label=False,
        require_sequences=True,
        max_target_length=None,
        reference=None,
        row_numbers=False,
    )
    problem = target_site_problem(pairs["target_seq"].iloc[0])
    if problem is not None:
        raise InputError(problem, source="<input>")
    return pairs
