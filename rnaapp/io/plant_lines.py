"""Plant "FASTA-like" pair lines (PmliPred / preMLI / RNAI-FRID): one ``>`` line per pair.

Holds the parsing of ``>miRNA,lncRNA_id,...,label`` records of 4, 5 or 7 comma-separated fields into a
:class:`~rnaapp.io.parsed_pairs._ParsedPairs`, including where a concatenated miRNA+lncRNA is split.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnaapp.io.errors import InputError
from rnaapp.io.parsed_pairs import _ParsedPairs
from rnaapp.io.reference import _MirnaReference
from rnaapp.io.sequences import _WHITESPACE, MIRNA_LENGTH_RANGE, normalise_sequence

_PLANT_FIELD_COUNTS = (4, 5, 7)


def _split_concatenated(
    name: str, concatenated: str, reference: _MirnaReference | None, source: str, row: int
) -> int:
    """Return the miRNA length in a miRNA+lncRNA concatenation.

    Rule 1: the miRBase sequence of the miRNA name (full field, first token, case-insensitive), when it
    is a prefix of the concatenation. Rule 2 (no usable reference): where the miRNA is written in U and the
    lncRNA in T, the boundary lies after the last U that precedes the first T and no later than that T;
    it is accepted only when exactly one miRNA length in :data:`MIRNA_LENGTH_RANGE` fits. Otherwise
    the row cannot be split and an :class:`InputError` asks for a reference.
    """
    normalised = normalise_sequence(concatenated)
    if reference is not None:
        reference_seq = reference.lookup_one(name)
        if reference_seq and normalised.startswith(reference_seq) and len(reference_seq) < len(normalised):
            return len(reference_seq)
    raw = _WHITESPACE.sub("", concatenated).upper()
    first_t = raw.find("T")
    last_u = raw.rfind("U", 0, first_t) if first_t > 0 else -1
    lo, hi = MIRNA_LENGTH_RANGE
    if last_u >= 0:
        lengths = range(max(last_u + 1, lo), min(first_t, hi) + 1)
        if len(lengths) == 1:
            return lengths[0]
        detail = (
            f"the miRNA could be {lengths[0]}–{lengths[-1]} nt long"
            if len(lengths) > 1
            else "no miRNA length of 15–30 nt fits the U/T boundary"
        )
    else:
        detail = "miRNA and lncRNA are written in the same letters"
    known = "" if reference is None else f"; {name!r} is not in the reference or is not a prefix"
    raise InputError(
        f"cannot tell where the miRNA ends in the concatenated miRNA+lncRNA sequence ({detail}{known}); "
        "supply a miRBase mature-sequence FASTA as the miRNA reference so the miRNA can be looked up by name",
        source=source,
        row=row,
    )


def _parse_plant_lines(text: str, source: str, reference: _MirnaReference | None) -> _ParsedPairs:
    records: list[tuple[int, list[str]]] = []
    for line_number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        if not line.lstrip().startswith(">"):
            raise InputError(
                "expected a '>' line with comma-separated fields (miRNA, lncRNA id, sequences, label)",
                source=source,
                row=line_number,
            )
        records.append((line_number, [f.strip() for f in line.lstrip()[1:].split(",")]))
    n_fields = len(records[0][1])
    if n_fields not in _PLANT_FIELD_COUNTS:
        raise InputError(
            f"a '>' line with {n_fields} comma-separated fields is not a known pair format; expected "
            "4 (miRNA, lncRNA id, miRNA+lncRNA, label), 5 (miRNA, lncRNA id, miRNA, lncRNA, label) or "
            "7 (as 5 plus two dot-bracket structures before the label)",
            source=source,
            row=records[0][0],
        )
    rows: dict[str, list[str]] = {
        c: [] for c in ("mirna_id", "target_id", "mirna_seq", "target_seq", "label")
    }
    structures: dict[str, list[str]] = {"mirna_structure": [], "target_structure": []}
    for line_number, fields in records:
        if len(fields) != n_fields:
            raise InputError(
                f"expected {n_fields} comma-separated fields like the first record, found {len(fields)}",
                source=source,
                row=line_number,
            )
        tokens = fields[0].split()
        name = tokens[0] if tokens else ""
        rows["mirna_id"].append(name)
        rows["target_id"].append(fields[1])
        rows["label"].append(fields[-1])
        if n_fields == 4:
            concatenated = fields[2]
            mirna_length = _split_concatenated(fields[0], concatenated, reference, source, line_number)
            compact = _WHITESPACE.sub("", concatenated)
            rows["mirna_seq"].append(compact[:mirna_length])
            rows["target_seq"].append(compact[mirna_length:])
        else:
            rows["mirna_seq"].append(fields[2])
            rows["target_seq"].append(fields[3])
            if n_fields == 7:
                structures["mirna_structure"].append(fields[4])
                structures["target_structure"].append(fields[5])
    index = pd.Index([line_number - 1 for line_number, _ in records])
    table = pd.DataFrame(rows, index=index, dtype=str)
    extras: list[str] = []
    if n_fields == 7:
        for column, values in structures.items():
            table[column] = pd.Series(values, index=index, dtype=str)
            extras.append(column)
    description = {
        4: "concatenated miRNA+lncRNA records",
        5: "comma-separated pair records",
        7: "pair records with structures",
    }[n_fields]
    found = {
        4: ["miRNA", "lncRNA id", "miRNA+lncRNA", "label"],
        5: ["miRNA", "lncRNA id", "miRNA sequence", "lncRNA sequence", "label"],
        7: [
            "miRNA",
            "lncRNA id",
            "miRNA sequence",
            "lncRNA sequence",
            "miRNA structure",
            "lncRNA structure",
            "label",
        ],
    }[n_fields]
    return _ParsedPairs(table, found, extras, np.zeros(len(table), dtype=bool), description)
