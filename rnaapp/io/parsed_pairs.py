"""A pair table as parsed from a file, and its normalisation and validation shared by every format.

Each format's parser (:mod:`rnaapp.io.delimited`, :mod:`rnaapp.io.plant_lines`,
:mod:`rnaapp.io.pasted`) gives a :class:`_ParsedPairs`; :func:`_finalise` turns it into the table that
:func:`rnaapp.io.pairs.read_pairs` returns (columns :data:`PAIR_COLUMNS` first), or raises
:class:`~rnaapp.io.errors.InputError` for the first bad row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rnaapp.io.columns import _LABEL_VALUES, _ROLE_DESCRIPTIONS, _accepted_headers, _holds_sequences
from rnaapp.io.errors import InputError
from rnaapp.io.reference import _MirnaReference
from rnaapp.io.sequences import MIRNA_LENGTH_RANGE, _normalise_series, _sequence_issue

__all__ = ["PAIR_COLUMNS"]

PAIR_COLUMNS = ("mirna_id", "mirna_seq", "target_id", "target_seq", "label")


@dataclass
class _ParsedPairs:
    """A pair table as found in the file, columns renamed to roles; index = data row - 1."""

    table: pd.DataFrame
    columns_found: list[str]
    extra_columns: list[str] = field(default_factory=list)
    # True where the file stores the miRNA 3'→5' (before any miRBase reference is consulted).
    stored_reversed: np.ndarray | None = None
    description: str = "table"


# ---------------------------------------------------------------------------------------------------------
# Normalisation and validation shared by every pair format
# ---------------------------------------------------------------------------------------------------------


def _missing_column_error(role: str, parsed: _ParsedPairs, source: str) -> InputError:
    found = ", ".join(parsed.columns_found) or "none"
    return InputError(
        f"no {_ROLE_DESCRIPTIONS[role]} column found. Columns found: {found}. "
        f"Accepted headers for the {_ROLE_DESCRIPTIONS[role]}: {_accepted_headers(role)}",
        source=source,
    )


def _label_problem(raw: str) -> str:
    if not raw.strip():
        return "label is missing (expected 0 or 1)"
    return f"label must be 0 or 1 (or true/false); found {raw.strip()!r}"


def _first_row_problem(
    position: int,
    table: pd.DataFrame,
    labels: pd.Series | None,
    require_sequences: bool,
    max_target_length: int | None,
    mirna_length_range: tuple[int, int],
) -> str:
    row = table.iloc[position]
    issue = _sequence_issue(row["mirna_seq"], "miRNA", *mirna_length_range, allow_empty=not require_sequences)
    if issue is not None:
        return issue[1]
    issue = _sequence_issue(
        row["target_seq"], "target", None, max_target_length, allow_empty=not require_sequences
    )
    if issue is not None:
        return issue[1]
    if not row["mirna_seq"] and not row["mirna_id"]:
        return "neither a miRNA id nor a miRNA sequence"
    if not row["target_seq"] and not row["target_id"]:
        return "neither a target id nor a target sequence"
    if labels is not None and pd.isna(labels.iloc[position]):
        return _label_problem(str(table["label"].iloc[position]))
    raise AssertionError("no problem found in the row flagged as bad")  # pragma: no cover


def _orientation(
    mirna_id: pd.Series, mirna_seq: pd.Series, stored_reversed: np.ndarray, reference: _MirnaReference | None
) -> np.ndarray:
    """True where the stored miRNA must be reversed to read 5'→3'."""
    reverse = stored_reversed.copy()
    if reference is None:
        return reverse
    reversed_seq = mirna_seq.str[::-1]
    by_name = reference.lookup(mirna_id)
    forward_by_name = (by_name == mirna_seq).to_numpy(dtype=bool)
    reverse_by_name = (by_name == reversed_seq).to_numpy(dtype=bool)
    forward_known = mirna_seq.isin(reference.sequences).to_numpy()
    reverse_known = reversed_seq.isin(reference.sequences).to_numpy()
    decided_by_name = forward_by_name ^ reverse_by_name
    decided_by_sequence = ~decided_by_name & (forward_known ^ reverse_known)
    reverse[decided_by_name] = reverse_by_name[decided_by_name]
    reverse[decided_by_sequence] = reverse_known[decided_by_sequence]
    palindromes = (mirna_seq == reversed_seq).to_numpy()
    reverse[palindromes] = False
    return reverse


def _fill_ids(ids: pd.Series, sequences: pd.Series, prefix: str) -> pd.Series:
    empty = ids == ""
    if not empty.any():
        return ids
    codes, _ = pd.factorize(sequences[empty])
    ids = ids.copy()
    ids[empty] = [f"{prefix}_{code + 1}" for code in codes]
    return ids


def _finalise(
    parsed: _ParsedPairs,
    *,
    source: str,
    require_label: bool,
    require_sequences: bool,
    max_target_length: int | None,
    reference: _MirnaReference | None,
    mirna_length_range: tuple[int, int] = MIRNA_LENGTH_RANGE,
    row_numbers: bool = True,
) -> pd.DataFrame:
    table = parsed.table.copy()
    has_mirna_seq = "mirna_seq" in table.columns
    has_target_seq = "target_seq" in table.columns
    if not (has_mirna_seq and has_target_seq):
        # A sequence column under a header we do not know must not be read as "names only".
        unnamed = [column for column in parsed.extra_columns if _holds_sequences(table[column].astype(str))]
        if unnamed:
            missing = [
                role
                for role, has in (("mirna_seq", has_mirna_seq), ("target_seq", has_target_seq))
                if not has
            ]
            what = " or ".join(_ROLE_DESCRIPTIONS[role] for role in missing)
            headers = "; ".join(f"{_ROLE_DESCRIPTIONS[role]}: {_accepted_headers(role)}" for role in missing)
            raise InputError(
                f"no {what} column found, but the column {unnamed[0]!r} holds sequences: rename it "
                f"{' or '.join(missing)} (accepted headers, {headers})",
                source=source,
            )
    if require_sequences and not has_mirna_seq and not has_target_seq:
        raise InputError(
            f"the file lists names only ({parsed.description}: {', '.join(parsed.columns_found)}) and no "
            "sequences, but sequences are needed; provide a table with miRNA and target sequences "
            "(e.g. columns mirna_id, mirna_seq, target_id, target_seq, label)",
            source=source,
        )
    for column in ("mirna_id", "mirna_seq", "target_id", "target_seq"):
        if column not in table.columns:
            table[column] = ""
    for column in ("mirna_id", "target_id"):
        table[column] = table[column].astype(str).str.strip()
    for column in ("mirna_seq", "target_seq"):
        table[column] = _normalise_series(table[column].astype(str))

    if reference is not None:
        # An accession or a "name + description" becomes the miRNA's name (gene models look miRNAs up by
        # name in their interaction graph).
        table["mirna_id"] = reference.named(table["mirna_id"])
        empty = table["mirna_seq"] == ""
        if empty.any():
            looked_up = reference.lookup(table.loc[empty, "mirna_id"])
            table.loc[empty, "mirna_seq"] = looked_up.fillna("").astype(str)
    if require_sequences and not has_mirna_seq and (table["mirna_seq"] == "").any():
        raise _missing_column_error("mirna_seq", parsed, source)
    if require_sequences and not has_target_seq:
        raise _missing_column_error("target_seq", parsed, source)
    if require_label and "label" not in table.columns:
        raise _missing_column_error("label", parsed, source)

    labels = None
    if "label" in table.columns:
        labels = table["label"].astype(str).str.strip().str.lower().map(_LABEL_VALUES)

    mirna, target = table["mirna_seq"], table["target_seq"]
    mirna_length, target_length = mirna.str.len(), target.str.len()
    lo, hi = mirna_length_range
    bad = ~mirna.str.fullmatch("[ACGUN]*").astype(bool) | ~target.str.fullmatch("[ACGUN]*").astype(bool)
    bad |= (mirna_length > 0) & ((mirna_length < lo) | (mirna_length > hi))
    if max_target_length is not None:
        bad |= target_length > max_target_length
    bad |= mirna.str.fullmatch("N+").astype(bool)
    if require_sequences:
        bad |= (mirna_length == 0) | (target_length == 0)
    else:
        bad |= ((mirna_length == 0) & (table["mirna_id"] == "")) | (
            (target_length == 0) & (table["target_id"] == "")
        )
    if labels is not None:
        bad |= labels.isna()
    if bad.any():
        position = int(np.argmax(bad.to_numpy()))
        problem = _first_row_problem(
            position, table, labels, require_sequences, max_target_length, mirna_length_range
        )
        row = int(table.index[position]) + 1 if row_numbers else None
        raise InputError(problem, source=source, row=row)

    stored_reversed = parsed.stored_reversed
    if stored_reversed is None:
        stored_reversed = np.zeros(len(table), dtype=bool)
    reverse = _orientation(table["mirna_id"], mirna, stored_reversed, reference)
    if reverse.any():
        table["mirna_seq"] = mirna.where(~reverse, mirna.str[::-1])
    table["mirna_id"] = _fill_ids(table["mirna_id"], table["mirna_seq"], "miRNA")
    table["target_id"] = _fill_ids(table["target_id"], table["target_seq"], "target")

    columns = list(PAIR_COLUMNS[:4])
    if labels is not None:
        table["label"] = labels.astype("int64")
        columns.append("label")
    columns += [c for c in parsed.extra_columns if c in table.columns and c not in columns]
    return table[columns].reset_index(drop=True)
