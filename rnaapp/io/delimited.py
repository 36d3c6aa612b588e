"""Delimited pair tables (CSV, TSV, semicolon-separated), with a header or without one.

Holds the parsing of such tables into a :class:`~rnaapp.io.parsed_pairs._ParsedPairs`: delimiter and
header detection, column roles from headers (and content where a header is ambiguous), the miRNA
orientation a header or format implies (``miRNA Seq (3'-->5')``, TEC-miTarget, raw DeepmiRNATar), and
headerless layouts (TEC-miTarget, miTAR, two-column name pairs).
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import numpy as np
import pandas as pd

from rnaapp.io.columns import (
    _KNOWN_HEADER_KEYS,
    _LABEL_VALUES,
    _ROLE_ALIASES,
    _header_key,
    _holds_labels,
    _holds_sequences,
    _is_sequence_like,
)
from rnaapp.io.errors import InputError
from rnaapp.io.parsed_pairs import PAIR_COLUMNS, _ParsedPairs

_THREE_TO_FIVE = re.compile(r"3\s*'?\s*(?:-+\s*>?|→|to)\s*5", re.IGNORECASE)
_DEEPMIRNATAR_HEADER = {"gene", "mirna", "interaction", "genesequence", "mirnasequence"}
_DEEPMIRNATAR_REVERSED_GENE = "NOONE"


def _split_fields(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter))
    except (csv.Error, StopIteration):
        return line.split(delimiter)


def _sniff_delimiter(first_line: str) -> str | None:
    counts = {delimiter: first_line.count(delimiter) for delimiter in ("\t", ",", ";")}
    best = max(counts, key=lambda d: counts[d])  # ties keep the order tab, comma, semicolon
    return best if counts[best] else None


def _parser_error_row(message: str, has_header: bool) -> int | None:
    match = re.search(r"line (\d+)", message)
    if match is None:
        return None
    line = int(match.group(1))
    return line - 1 if has_header else line


def _unique_header(fields: list[str], source: str) -> list[str]:
    """Header names stripped; empty ones become ``column_<k>``; a name given twice is refused.

    Raises
    ------
    InputError
        Naming the repeated column and its positions (pandas would silently rename the second ``label``
        to ``label.1``, and the file would be read with one of them ignored).
    """
    names: list[str] = []
    for number, raw in enumerate(fields, start=1):
        name = str(raw).strip() or f"column_{number}"
        if name in names:
            first = names.index(name) + 1
            raise InputError(
                f"the header names the column {name!r} twice (columns {first} and {number}); rename or "
                "remove one",
                source=source,
                row=None,
            )
        names.append(name)
    return names


def _read_delimited(text: str, delimiter: str, has_header: bool, source: str) -> pd.DataFrame:
    """Read a delimited table as text; columns are header names, or 0, 1, ... without a header.

    The header is read as an ordinary row so that pandas never turns a surplus first column into the
    index; every data row must have at most as many fields as the first line. Index = data row - 1.
    """
    try:
        table = pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.EmptyDataError:
        raise InputError("the file is empty", source=source) from None
    except (pd.errors.ParserError, csv.Error, ValueError) as err:
        message = str(err)
        row = _parser_error_row(message, has_header)
        counts = re.search(r"Expected (\d+) fields.*saw (\d+)", message)
        if counts is not None:
            reference = "the header" if has_header else "the first row"
            problem = f"expected {counts.group(1)} fields like {reference}, found {counts.group(2)}"
        else:
            problem = f"cannot read the table ({message.strip()})"
        raise InputError(problem, source=source, row=row) from None
    table = table.astype(str)
    if has_header:
        header = _unique_header(table.iloc[0].tolist(), source)
        table = table.iloc[1:]
        table.columns = header
        table.index = table.index - 1
    else:
        table.columns = list(range(table.shape[1]))
    non_empty = (table != "").any(axis=1)
    return table.loc[non_empty]


def _assign_roles(table: pd.DataFrame) -> dict[str, str]:
    """Map roles to header names, using aliases and, for ambiguous names, the column content."""
    keys = {column: _header_key(column) for column in table.columns}
    content_cache: dict[str, bool] = {}
    used: set[str] = set()
    roles: dict[str, str] = {}
    for role, aliases in _ROLE_ALIASES.items():
        for alias, content in aliases:
            alias_key = _header_key(alias)
            column = next((c for c in table.columns if keys[c] == alias_key and c not in used), None)
            if column is None:
                continue
            if content != "any":
                if column not in content_cache:
                    content_cache[column] = _holds_sequences(table[column])
                if content_cache[column] != (content == "sequences"):
                    continue
            roles[role] = column
            used.add(column)
            break
    return roles


def _parse_headed_table(table: pd.DataFrame) -> _ParsedPairs:
    roles = _assign_roles(table)
    columns_found = list(table.columns)
    keys = {_header_key(c) for c in columns_found}
    stored_reversed = np.zeros(len(table), dtype=bool)
    if "mirna_seq" in roles and _THREE_TO_FIVE.search(roles["mirna_seq"]):
        stored_reversed[:] = True
    if _DEEPMIRNATAR_HEADER <= keys and "target_id" in roles:
        stored_reversed |= (table[roles["target_id"]].str.strip() == _DEEPMIRNATAR_REVERSED_GENE).to_numpy()

    renamed = pd.DataFrame({role: table[column] for role, column in roles.items()}, index=table.index)
    extras = []
    for column in table.columns:
        if column in roles.values():
            continue
        new_name = f"{column}_input" if column in PAIR_COLUMNS else column
        renamed[new_name] = table[column]
        extras.append(new_name)

    if "target_id" not in roles:
        by_key = {_header_key(c): c for c in extras}
        if all(k in by_key for k in ("chr", "start", "end", "strand")):  # miRBench gene fragments
            renamed["target_id"] = (
                renamed[by_key["chr"]]
                + ":"
                + renamed[by_key["start"]]
                + "-"
                + renamed[by_key["end"]]
                + ":"
                + renamed[by_key["strand"]]
            )
    return _ParsedPairs(renamed, columns_found, extras, stored_reversed, "table with a header")


def _parse_headerless_table(table: pd.DataFrame, source: str, tec_style: bool) -> _ParsedPairs:
    columns = list(table.columns)
    label_columns = [c for c in columns if _holds_labels(table[c])]
    label_column = label_columns[-1] if label_columns else None
    sequence_columns = [c for c in columns if c != label_column and _holds_sequences(table[c])]
    name_columns = [c for c in columns if c != label_column and c not in sequence_columns]

    roles: dict[str, Any] = {}
    if len(sequence_columns) >= 2:
        roles["mirna_seq"], roles["target_seq"] = sequence_columns[:2]
        if name_columns:
            roles["mirna_id"] = name_columns[0]
        if len(name_columns) > 1:
            roles["target_id"] = name_columns[1]
        description = "TEC-miTarget style table" if tec_style else "table without a header"
    elif not sequence_columns and len(name_columns) >= 2:
        roles["mirna_id"], roles["target_id"] = name_columns[:2]
        description = "list of name pairs"
    else:
        raise InputError(
            "could not recognise the columns: the first row is not a header (e.g. mirna_seq,target_seq,label) "
            f"and the table has {len(sequence_columns)} column(s) of sequences instead of two "
            "(miRNA and target)",
            source=source,
        )
    if label_column is not None:
        roles["label"] = label_column

    renamed = table.rename(columns={column: role for role, column in roles.items()})
    extra = {c: f"column_{c + 1}" for c in columns if c not in roles.values()}
    renamed = renamed.rename(columns=extra)
    stored_reversed = np.full(len(table), tec_style, dtype=bool)
    found = [f"column {c + 1}" for c in columns]
    return _ParsedPairs(renamed, found, list(extra.values()), stored_reversed, description)


def _parse_delimited(text: str, source: str) -> _ParsedPairs:
    text = re.sub(r"\A(?:[ \t]*\n)+", "", text)
    lines = [line for line in text.split("\n", 3)[:3] if line.strip()]
    first_line = lines[0]
    delimiter = _sniff_delimiter(first_line)
    if delimiter is None:
        raise InputError(
            "found only one column; expected a table whose columns are separated by commas, tabs or "
            "semicolons (miRNA sequence, target sequence and optionally a label)",
            source=source,
        )
    first_fields = _split_fields(first_line, delimiter)
    first_keys = {_header_key(f) for f in first_fields}
    tec_style = first_line.lstrip().startswith(">")
    has_header = bool(first_keys & _KNOWN_HEADER_KEYS)
    if not has_header and not tec_style and len(lines) > 1:
        # An unknown header: nothing in row 1 looks like data, but row 2 holds sequences.
        second_fields = _split_fields(lines[1], delimiter)
        row1_data = any(_is_sequence_like(f) or f.strip().lower() in _LABEL_VALUES for f in first_fields)
        row2_sequences = any(_is_sequence_like(f) for f in second_fields)
        has_header = not row1_data and row2_sequences
    table = _read_delimited(text, delimiter, has_header, source)
    if table.empty:
        raise InputError(
            "the file has a header but no data rows" if has_header else "no data rows", source=source
        )
    if has_header:
        return _parse_headed_table(table)
    return _parse_headerless_table(table, source, tec_style)
