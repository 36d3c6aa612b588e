"""Read miRNA–target pair tables and sequence files, normalise them and validate them.

Every reader returns sequences as uppercase RNA (``T`` becomes ``U``) written 5'→3', and raises
:class:`InputError` with the file name, the 1-based data row and a plain-language problem when the input
cannot be used.

Pair formats recognised by :func:`read_pairs` (detected automatically):

* CSV / TSV / semicolon-separated tables with a header. Header names are matched case-insensitively,
  ignoring spaces, underscores and parenthesised suffixes (``miRNA Seq (3'-->5')`` reads as ``mirnaseq``).
  Columns named ``miRNA``, ``gene``, ``target``, ``mRNA`` or ``lncRNA`` are sequences or names depending
  on their content.
* Headerless tables: TEC-miTarget style (``>miRNA<TAB>>target<TAB>label``), miTAR style
  (``id, miRNA, id, target, label``) and two-column name pairs (``miRNA name, gene symbol``).
* Plant "FASTA-like" pair lines, one record per ``>`` line with comma-separated fields:
  ``>miRNA,lncRNA_id,miRNA_seq,lncRNA_seq,label`` (5 fields),
  ``>miRNA,lncRNA_id,miRNA_seq,lncRNA_seq,miRNA_structure,lncRNA_structure,label`` (7 fields) and
  ``>miRNA,lncRNA_id,miRNA+lncRNA,label`` (4 fields, miRNA and lncRNA concatenated; see
  :func:`read_pairs` for how the two are split).

miRNA orientation: the standard is 5'→3'. The miRNA is reversed when the file says it is stored 3'→5'
(a header such as ``miRNA Seq (3'-->5')``; TEC-miTarget files; the ``gene == NOONE`` rows of the raw
DeepmiRNATar CSV). When a miRBase reference is given, it overrides these rules for every row whose
miRNA (looked up by id, else by sequence) matches the reference in exactly one orientation.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import os
import re
import tempfile
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "MIRNA_LENGTH_RANGE",
    "PAIR_COLUMNS",
    "InputError",
    "attach_target_sequences",
    "count_fasta_records",
    "iter_fasta",
    "normalise_sequence",
    "pairs_from_sequences",
    "read_fasta",
    "read_mirbase",
    "read_pairs",
    "sequence_problem",
]

PAIR_COLUMNS = ("mirna_id", "mirna_seq", "target_id", "target_seq", "label")
MIRNA_LENGTH_RANGE = (15, 30)

_MOLECULES = ("miRNA", "target")
_ALLOWED_LETTERS = "ACGUTN"
_BAD_LETTER = re.compile(r"[^ACGUN]")
_WHITESPACE = re.compile(r"\s+")
_LABEL_VALUES = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "true": 1, "false": 0}
_THREE_TO_FIVE = re.compile(r"3\s*'?\s*(?:-+\s*>?|→|to)\s*5", re.IGNORECASE)
_DEEPMIRNATAR_HEADER = {"gene", "mirna", "interaction", "genesequence", "mirnasequence"}
_DEEPMIRNATAR_REVERSED_GENE = "NOONE"
_CONTENT_SAMPLE_SIZE = 200
_PLANT_FIELD_COUNTS = (4, 5, 7)


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


# ---------------------------------------------------------------------------------------------------------
# Sequences
# ---------------------------------------------------------------------------------------------------------


def normalise_sequence(seq: str) -> str:
    """Normalise one nucleotide sequence to uppercase RNA.

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
    return None if short is None else f"{molecule} sequence has {short}"


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


# ---------------------------------------------------------------------------------------------------------
# Reading raw text
# ---------------------------------------------------------------------------------------------------------


def _source_name(path_or_buffer: Any, name: str | None) -> str:
    if name:
        return str(name)
    if isinstance(path_or_buffer, (str, os.PathLike)):
        return Path(path_or_buffer).name or str(path_or_buffer)
    buffer_name = getattr(path_or_buffer, "name", None)
    if isinstance(buffer_name, str) and buffer_name:
        return Path(buffer_name).name or buffer_name
    return "<input>"


def _read_text(path_or_buffer: Any, source: str) -> str:
    """Return the text of a path, bytes or file-like object: BOM removed, line ends turned into ``\\n``."""
    if isinstance(path_or_buffer, (str, os.PathLike)):
        path = Path(path_or_buffer)
        try:
            data: bytes | str = path.read_bytes()
        except FileNotFoundError:
            raise InputError(f"file not found ({path})", source=source) from None
        except OSError as err:
            raise InputError(f"cannot read the file ({err.strerror or err})", source=source) from None
    elif isinstance(path_or_buffer, (bytes, bytearray, memoryview)):
        data = bytes(path_or_buffer)
    elif hasattr(path_or_buffer, "getvalue"):
        data = path_or_buffer.getvalue()
    elif hasattr(path_or_buffer, "read"):
        data = path_or_buffer.read()
    else:
        raise TypeError(f"expected a path or a file-like object, not {type(path_or_buffer).__name__}")

    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if data[:2] == b"\x1f\x8b":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError) as err:
                raise InputError(f"the gzip file is damaged ({err})", source=source) from None
        if data[:4] == b"PK\x03\x04":
            raise InputError(
                "this looks like a spreadsheet or zip archive; save it as CSV or tab-separated text",
                source=source,
            )
        if b"\x00" in data[:65536]:
            raise InputError("this is not a text file (it contains binary data)", source=source)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    elif isinstance(data, str):
        text = data
    else:
        raise TypeError(f"reading the buffer gave {type(data).__name__}, not bytes or str")

    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError("the file is empty", source=source)
    return text


# ---------------------------------------------------------------------------------------------------------
# Header aliases
# ---------------------------------------------------------------------------------------------------------


def _header_key(header: str) -> str:
    """``"miRNA Seq (3'-->5')"`` -> ``"mirnaseq"``: no parenthesised parts, lowercase, letters/digits only."""
    header = re.sub(r"\(.*?\)|\[.*?\]", "", str(header))
    return re.sub(r"[^0-9a-z]", "", header.lower())


# (header as users write it, required content: "any", "sequences" or "names"); first match wins.
_ROLE_ALIASES: dict[str, tuple[tuple[str, str], ...]] = {
    "mirna_seq": (
        ("mirna_seq", "any"),
        ("mirna_sequence", "any"),
        ("miRNA Seq", "any"),
        ("mature_sequence", "any"),
        ("mature_seq", "any"),
        ("noncodingRNA", "any"),
        ("miRNA", "sequences"),
    ),
    "target_seq": (
        ("target_seq", "any"),
        ("target_sequence", "any"),
        ("target site", "any"),
        ("target_site_seq", "any"),
        ("gene_sequence", "any"),
        ("gene_seq", "any"),
        ("mrna_seq", "any"),
        ("mrna_sequence", "any"),
        ("lncrna_seq", "any"),
        ("lncrna_sequence", "any"),
        ("target", "sequences"),
        ("gene", "sequences"),
        ("mrna", "sequences"),
        ("lncrna", "sequences"),
    ),
    "mirna_id": (
        ("mirna_id", "any"),
        ("miRNA ID", "any"),
        ("mirna_name", "any"),
        ("noncodingRNA_name", "any"),
        ("miRNA", "names"),
    ),
    "target_id": (
        ("target_id", "any"),
        ("target_name", "any"),
        ("gene_id", "any"),
        ("gene symbol", "any"),
        ("gene_name", "any"),
        ("mrna_id", "any"),
        ("mRNA Accession Number", "any"),
        ("lncrna_id", "any"),
        ("gene", "names"),
        ("target", "names"),
        ("mrna", "names"),
        ("lncrna", "names"),
    ),
    "label": (("label", "any"), ("interaction", "any"), ("class", "any"), ("y", "any")),
}
_ROLE_DESCRIPTIONS = {
    "mirna_seq": "miRNA sequence",
    "target_seq": "target sequence",
    "mirna_id": "miRNA id",
    "target_id": "target id",
    "label": "label",
}
_KNOWN_HEADER_KEYS = {_header_key(alias) for aliases in _ROLE_ALIASES.values() for alias, _ in aliases}


def _accepted_headers(role: str) -> str:
    parts = []
    for alias, content in _ROLE_ALIASES[role]:
        parts.append(alias if content == "any" else f"{alias} (holding {content})")
    return ", ".join(parts)


def _is_sequence_like(value: str) -> bool:
    value = _WHITESPACE.sub("", value).lstrip(">").upper()
    if len(value) < 8:
        return False
    nucleotides = sum(letter in _ALLOWED_LETTERS for letter in value)
    return nucleotides >= 0.9 * len(value)


def _holds_sequences(values: pd.Series) -> bool:
    """True when most non-empty values in the first rows of a column look like nucleotide sequences."""
    sample = [v for v in values.iloc[: _CONTENT_SAMPLE_SIZE * 5].tolist() if str(v).strip()]
    sample = sample[:_CONTENT_SAMPLE_SIZE]
    if not sample:
        return False
    return sum(_is_sequence_like(str(v)) for v in sample) >= 0.5 * len(sample)


def _holds_labels(values: pd.Series) -> bool:
    sample = [str(v).strip().lower() for v in values.iloc[:_CONTENT_SAMPLE_SIZE].tolist()]
    sample = [v for v in sample if v]
    return bool(sample) and all(v in _LABEL_VALUES for v in sample)


# ---------------------------------------------------------------------------------------------------------
# Parsed tables before normalisation
# ---------------------------------------------------------------------------------------------------------


@dataclass
class _ParsedPairs:
    """A pair table as found in the file, columns renamed to roles; index = data row - 1."""

    table: pd.DataFrame
    columns_found: list[str]
    extra_columns: list[str] = field(default_factory=list)
    # True where the file stores the miRNA 3'→5' (before any miRBase reference is consulted).
    stored_reversed: np.ndarray | None = None
    description: str = "table"


class _MirnaReference:
    """Name → sequence lookups (exact, first token, case-insensitive) and a set of known sequences."""

    def __init__(self, reference: Mapping[str, str]) -> None:
        self.by_name = {str(k).strip(): normalise_sequence(v) for k, v in reference.items()}
        self.by_lower_name: dict[str, str] = {}
        for key, seq in self.by_name.items():
            self.by_lower_name.setdefault(key.lower(), seq)
            self.by_lower_name.setdefault(key.split()[0].lower() if key.split() else key, seq)
        self.sequences = set(self.by_name.values())

    def lookup_one(self, name: str) -> str | None:
        name = name.strip()
        if not name:
            return None
        if name in self.by_name:
            return self.by_name[name]
        first = name.split()[0]
        if first in self.by_name:
            return self.by_name[first]
        return self.by_lower_name.get(name.lower(), self.by_lower_name.get(first.lower()))

    def lookup(self, names: pd.Series) -> pd.Series:
        """Reference sequence per name (``None`` where unknown); object Series with the same index."""
        found = {name: self.lookup_one(name) for name in pd.unique(names)}
        return names.map(found).astype(object)


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


def _unique_header(fields: list[str]) -> list[str]:
    """Header names stripped; empty ones become ``column_<k>``, repeats get ``.1``, ``.2``, ..."""
    names: list[str] = []
    for number, raw in enumerate(fields, start=1):
        base = str(raw).strip() or f"column_{number}"
        candidate, repeat = base, 0
        while candidate in names:
            repeat += 1
            candidate = f"{base}.{repeat}"
        names.append(candidate)
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
        header = _unique_header(table.iloc[0].tolist())
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


# ---------------------------------------------------------------------------------------------------------
# Plant pair lines (PmliPred / preMLI / RNAI-FRID)
# ---------------------------------------------------------------------------------------------------------


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


# ---------------------------------------------------------------------------------------------------------
# Public readers
# ---------------------------------------------------------------------------------------------------------


def read_pairs(
    path_or_buffer: Any,
    *,
    name: str | None = None,
    require_label: bool = False,
    require_sequences: bool = True,
    max_target_length: int | None = None,
    mirna_reference: Mapping[str, str] | None = None,
    mirna_length_range: tuple[int, int] = MIRNA_LENGTH_RANGE,
) -> pd.DataFrame:
    """Read a miRNA–target pair file in any supported format into one normalised table.

    Parameters
    ----------
    path_or_buffer
        A path (``str`` / ``Path``), ``bytes``, or a file-like object such as ``io.BytesIO`` or a
        Streamlit upload (its ``.name`` is used in messages). Gzip-compressed input is accepted.
    name
        File name to use in error messages instead of the path's or buffer's own name.
    require_label
        Raise :class:`InputError` when the file has no label column.
    require_sequences
        When True (default) every row needs both a miRNA and a target sequence. When False, files of
        names only (e.g. ``miRNA name, gene symbol``) are accepted: missing sequences are left empty,
        except miRNA sequences that ``mirna_reference`` knows by name.
    max_target_length
        Longest accepted target sequence in nucleotides (``None``: no limit).
    mirna_reference
        miRNA name → mature sequence, e.g. from :func:`read_mirbase`. Used to fill missing miRNA
        sequences, to decide each row's miRNA orientation (by id, else by sequence; it overrides the
        format's rule where exactly one orientation matches) and to split concatenated plant records.
    mirna_length_range
        Inclusive accepted miRNA length in nucleotides. The default :data:`MIRNA_LENGTH_RANGE` rejects
        e.g. the 32-nt Gma-miR6300 in the plant_lnc benchmark train file; pass ``(15, 35)`` to accept it.

    Returns
    -------
    pandas.DataFrame
        One row per pair, shape ``(n_pairs, 4 + n_other)``: ``mirna_id``, ``mirna_seq``, ``target_id``,
        ``target_seq`` (strings; sequences uppercase RNA, 5'→3'), then ``label`` (int 0/1, only when the
        input has labels), then every other input column unchanged (as text), e.g. ``species``,
        ``split`` or, for 7-field plant records, ``mirna_structure`` and ``target_structure``. Missing
        ids are filled as ``miRNA_<k>`` / ``target_<k>`` (k numbers the distinct sequences).

    Raises
    ------
    InputError
        On the first problem: unreadable or empty file, unknown layout, missing column (the message
        lists the columns found and the accepted headers), letters other than ACGUTN (letter and
        position named), empty sequence, miRNA outside ``mirna_length_range``, target longer than
        ``max_target_length``, label other than 0/1/true/false, or a concatenated record that cannot be
        split. Row numbers count rows from 1 after the header, as a spreadsheet does (blank lines count).

    Notes
    -----
    Concatenated plant records (``>miRNA,lncRNA_id,miRNA+lncRNA,label``) are split at the end of the
    reference sequence of the miRNA name when that sequence is a prefix of the record. Without one, the
    U/T rule is used: where the miRNA is written in U and the lncRNA in T, the boundary lies after the last
    U before the first T and at or before that T; it is used only if exactly one miRNA length of 15–30 nt
    fits. (Splitting right after the last U would be wrong for most real records: 7 of the 10 sample
    records end their miRNA in A, C or G.)
    """
    source = _source_name(path_or_buffer, name)
    text = _read_text(path_or_buffer, source)
    reference = _MirnaReference(mirna_reference) if mirna_reference else None
    first_line = next(line for line in text.split("\n") if line.strip()).lstrip()
    if first_line.startswith(">") and "\t" not in first_line:
        if first_line.count(",") >= min(_PLANT_FIELD_COUNTS) - 1:
            parsed = _parse_plant_lines(text, source, reference)
        else:
            raise InputError(
                "this looks like a FASTA file of single sequences, not a table of miRNA–target pairs",
                source=source,
            )
    else:
        parsed = _parse_delimited(text, source)
    return _finalise(
        parsed,
        source=source,
        require_label=require_label,
        require_sequences=require_sequences,
        max_target_length=max_target_length,
        reference=reference,
        mirna_length_range=mirna_length_range,
    )


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
        With source ``"<input>"`` and no row number, e.g. ``"<input>: miRNA is 34 nt; expected 15–30 nt"``.
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
    return _finalise(
        parsed,
        source="<input>",
        require_label=False,
        require_sequences=True,
        max_target_length=None,
        reference=None,
        row_numbers=False,
    )


def _fasta_records(text: str, source: str) -> list[tuple[str, str]]:
    first_line = next(line for line in text.split("\n") if line.strip()).lstrip()
    if not first_line.startswith(">"):
        raise InputError("this is not a FASTA file: the first line should start with '>'", source=source)
    try:
        from Bio.SeqIO.FastaIO import SimpleFastaParser  # imported here: Bio.SeqIO is slow to import

        records = list(SimpleFastaParser(io.StringIO(text.lstrip())))
    except ValueError as err:
        raise InputError(f"cannot read the FASTA file ({err})", source=source) from None
    if not records:
        raise InputError("no FASTA records found", source=source)
    return records


def read_fasta(path_or_buffer: Any, *, name: str | None = None, molecule: str = "target") -> pd.DataFrame:
    """Read a FASTA file of miRNA or target sequences.

    Parameters
    ----------
    path_or_buffer
        Path, ``bytes`` or file-like object (gzip accepted).
    name
        File name to use in error messages.
    molecule
        ``"target"`` (any length) or ``"miRNA"`` (length must lie in :data:`MIRNA_LENGTH_RANGE`).

    Returns
    -------
    pandas.DataFrame
        Shape ``(n_records, 3)``: ``id`` (first word of the header), ``description`` (rest of the header,
        may be empty) and ``seq`` (uppercase RNA).

    Raises
    ------
    InputError
        For an empty or non-FASTA file, or a record with an empty sequence, letters other than ACGUTN or
        (for miRNAs) a length outside 15–30 nt; ``row`` is the 1-based record number.
    """
    min_length, max_length = _default_bounds(molecule, None, None)
    source = _source_name(path_or_buffer, name)
    records = _fasta_records(_read_text(path_or_buffer, source), source)
    ids, descriptions, sequences = [], [], []
    for number, (title, raw_seq) in enumerate(records, start=1):
        parts = title.strip().split(None, 1)
        seq = normalise_sequence(raw_seq)
        issue = _sequence_issue(seq, molecule, min_length, max_length)
        if issue is not None:
            problem = issue[1]
            if not seq and "," in title:
                problem += " (is this a file of comma-separated pairs? read it as a pair table)"
            raise InputError(problem, source=source, row=number)
        ids.append(parts[0] if parts else f"{molecule}_{number}")
        descriptions.append(parts[1] if len(parts) > 1 else "")
        sequences.append(seq)
    return pd.DataFrame({"id": ids, "description": descriptions, "seq": sequences}, dtype=str)


_STREAM_CHUNK = 1 << 20
_STREAM_HEAD = 65536


def _open_sequence_file(path: str | os.PathLike, source: str) -> tuple[io.BufferedIOBase, bool]:
    """Open a file for streaming its bytes (gzip decompressed); refuse binary files and spreadsheets.

    Returns the stream, positioned at the start, and whether the file is gzip-compressed.
    """
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            compressed = handle.read(2) == b"\x1f\x8b"
        stream: io.BufferedIOBase = gzip.open(path, "rb") if compressed else open(path, "rb")
    except FileNotFoundError:
        raise InputError(f"file not found ({path})", source=source) from None
    except OSError as err:
        raise InputError(f"cannot read the file ({err.strerror or err})", source=source) from None
    try:
        head = stream.read(_STREAM_HEAD)
        stream.seek(0)
    except (OSError, EOFError, zlib.error) as err:
        stream.close()
        raise _stream_error(err, compressed, source) from None
    if head[:4] == b"PK\x03\x04":
        stream.close()
        raise InputError(
            "this looks like a spreadsheet or zip archive; save it as FASTA or tab-separated text",
            source=source,
        )
    if b"\x00" in head:
        stream.close()
        raise InputError("this is not a text file (it contains binary data)", source=source)
    return stream, compressed


def _stream_error(err: BaseException, compressed: bool, source: str) -> InputError:
    if compressed:
        return InputError(f"the gzip file is damaged ({err})", source=source)
    return InputError(f"cannot read the file ({getattr(err, 'strerror', None) or err})", source=source)


def iter_fasta(
    path: str | os.PathLike, *, name: str | None = None, molecule: str = "target"
) -> Iterator[tuple[str, str]]:
    """Stream the records of a FASTA file, one at a time, without reading the file whole.

    Validates and normalises each record as :func:`read_fasta` does, so files of any size (a 1 GB
    transcriptome, gzip-compressed or not) can be read in bounded memory (one record at a time).

    Parameters
    ----------
    path
        A FASTA file, optionally gzip-compressed (detected from its content, not its name).
    name
        File name to use in error messages (default: the path's name).
    molecule
        ``"target"`` (any length) or ``"miRNA"`` (length must lie in :data:`MIRNA_LENGTH_RANGE`).

    Yields
    ------
    tuple of (str, str)
        ``(id, sequence)``: the first word of the header (``<molecule>_<k>`` for a header without one)
        and the sequence as uppercase RNA, 5'->3', in file order.

    Raises
    ------
    InputError
        Raised when the problem is reached (records before it have been yielded): a missing, unreadable,
        binary or damaged gzip file; an empty file (``"the file is empty"``); a first line not starting
        with ``>``; a record with an empty sequence or letters other than ACGUTN (``row`` is the 1-based
        record number; the message names the record's id).

    See Also
    --------
    count_fasta_records : the number of records, fast (for progress bars).
    """
    min_length, max_length = _default_bounds(molecule, None, None)
    source = _source_name(path, name)
    stream, compressed = _open_sequence_file(path, source)

    def record(number: int, header: str, lines: list[str]) -> tuple[str, str]:
        parts = header.split(None, 1)
        identifier = parts[0] if parts else f"{molecule}_{number}"
        seq = normalise_sequence("".join(lines))
        issue = _sequence_issue(seq, molecule, min_length, max_length)
        if issue is not None:
            problem = f"{issue[1]} (record '{identifier}')"
            if not seq and "," in header:
                problem += "; is this a file of comma-separated pairs? read it as a pair table"
            raise InputError(problem, source=source, row=number)
        return identifier, seq

    with io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline=None) as text:
        number = 0
        header: str | None = None
        lines: list[str] = []
        try:
            for line in text:
                if line[:1] == ">" or (line[:1] in (" ", "\t") and line.lstrip().startswith(">")):
                    if header is not None:
                        yield record(number, header, lines)
                    number += 1
                    header, lines = line.strip()[1:].strip(), []
                elif header is not None:
                    lines.append(line.strip())  # whitespace-free lines make normalising fast
                elif line.strip():
                    raise InputError(
                        "this is not a FASTA file: the first line should start with '>'", source=source
                    )
        except (OSError, EOFError, zlib.error) as err:
            raise _stream_error(err, compressed, source) from None
        if header is None:
            raise InputError("the file is empty", source=source)
        yield record(number, header, lines)


def count_fasta_records(path: str | os.PathLike) -> int:
    """Count the records (lines starting with ``>``) of a FASTA file, fast; gzip accepted.

    The file is read in 1 MiB blocks and not validated (see :func:`iter_fasta`), e.g. to give a
    progress bar its total before streaming a large file.

    Parameters
    ----------
    path
        A FASTA file, optionally gzip-compressed.

    Returns
    -------
    int
        Number of header lines (0 for an empty file).

    Raises
    ------
    InputError
        For a missing, unreadable, binary or damaged gzip file.
    """
    source = _source_name(path, None)
    stream, compressed = _open_sequence_file(path, source)
    count = 0
    previous = b"\n"  # the byte before the current block; the file's start counts as a line start
    with stream:
        try:
            first = True
            while block := stream.read(_STREAM_CHUNK):
                if first and block.startswith(b"\xef\xbb\xbf"):
                    block = block[3:]
                first = False
                if block[:1] == b">" and previous in (b"\n", b"\r"):
                    count += 1
                count += block.count(b"\n>") + block.count(b"\r>")
                previous = block[-1:] or previous
        except (OSError, EOFError, zlib.error) as err:
            raise _stream_error(err, compressed, source) from None
    return count


def attach_target_sequences(pairs: pd.DataFrame, records: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Give the pairs without a target sequence the sequence of their gene from FASTA records.

    For pairs named by gene (miRNA–gene association data) and a FASTA of 3'UTRs whose headers name the
    genes. A record matches a pair's ``target_id`` by its header id or any ``|``-separated field of it
    (``>ENSG…|ENST…|TP53`` matches TP53), exactly, else ignoring case; of several records of one gene
    (isoforms) the longest is used. Sequences already in ``pairs`` are kept.

    Parameters
    ----------
    pairs : pandas.DataFrame, shape (n, ...)
        With ``target_id`` and, optionally, ``target_seq`` (empty where unknown).
    records : pandas.DataFrame
        :func:`read_fasta` of the sequences (columns ``id`` and ``seq``).

    Returns
    -------
    (pandas.DataFrame, int)
        A copy of ``pairs`` with ``target_seq`` filled where a record matched, and the number of distinct
        genes that received a sequence.
    """
    exact: dict[str, str] = {}
    folded: dict[str, str] = {}
    for record_id, sequence in zip(records["id"].astype(str), records["seq"].astype(str), strict=True):
        for key in {record_id, *filter(None, record_id.split("|"))}:
            for table, name in ((exact, key), (folded, key.upper())):
                if len(sequence) > len(table.get(name, "")):
                    table[name] = sequence
    genes = pairs["target_id"].fillna("").astype(str)
    found = genes.map(lambda gene: exact.get(gene) or folded.get(gene.upper()) or "")
    current = (
        pairs["target_seq"].fillna("").astype(str)
        if "target_seq" in pairs
        else pd.Series("", index=pairs.index)
    )
    filled = (current == "") & (found != "")
    result = pairs.copy()
    result["target_seq"] = current.where(~filled, found)
    return result, int(genes[filled].nunique())


def read_mirbase(path_or_buffer: Any) -> dict[str, str]:
    """Read a miRBase mature-sequence FASTA (``mature.fa``) into a name → sequence dictionary.

    Parameters
    ----------
    path_or_buffer
        Path, ``bytes`` or file-like object (gzip accepted); DNA or RNA letters.

    Returns
    -------
    dict of str to str
        First header word (e.g. ``"hsa-miR-99a-5p"``) → uppercase RNA sequence; the first record wins
        when a name repeats. Lengths are not checked (a few miRBase entries exceed 30 nt).

    Raises
    ------
    InputError
        For an empty or non-FASTA file or a record with an empty sequence or letters other than ACGUTN.
    """
    source = _source_name(path_or_buffer, None)
    records = _fasta_records(_read_text(path_or_buffer, source), source)
    reference: dict[str, str] = {}
    for number, (title, raw_seq) in enumerate(records, start=1):
        parts = title.split()
        seq = normalise_sequence(raw_seq)
        issue = _sequence_issue(seq, "miRNA", None, None)
        if issue is not None or not parts:
            raise InputError(issue[1] if issue else "record without a name", source=source, row=number)
        reference.setdefault(parts[0], seq)
    return reference


MISMATCH_COLUMNS = ("row", "mirna_id", "mirna_seq", "reference_seq", "kind", "sequence_of")
#: Kinds of :func:`mirna_name_mismatches`, most suspicious first.
MISMATCH_KINDS = ("another miRNA of the species", "shifted ends", "different sequence")
#: Shortest shared stretch (nt) for two sequences to count as the same miRNA with shifted ends.
SHIFTED_ENDS_OVERLAP = 15


def _species_prefix(name: str) -> str:
    return name.split("-", 1)[0].lower() if "-" in name else ""


def _longest_shared_stretch(first: str, second: str) -> int:
    match = difflib.SequenceMatcher(None, first, second, autojunk=False).find_longest_match()
    return match.size


def mirna_name_mismatches(pairs: pd.DataFrame, reference: Mapping[str, str]) -> pd.DataFrame:
    """Rows whose miRNA name is in the reference with a different sequence.

    Source files of public benchmarks mix up miRNAs with similar names (e.g. rows named stu-miR530 that
    carry the sequence of stu-miR5303a), or carry older annotations of a miRNA (ends shifted by a few nt)
    or the other arm of its precursor. Nothing is changed here: the rows are listed so that the user can
    check the file; models score the sequence given.

    Parameters
    ----------
    pairs
        A table from :func:`read_pairs` (``mirna_id`` and ``mirna_seq`` columns; index = data row - 1).
    reference
        miRNA name → mature sequence, e.g. from :func:`read_mirbase`. Names are matched as in
        :func:`read_pairs` (exact, first word, then case-insensitive).

    Returns
    -------
    pandas.DataFrame
        One row per mismatching pair, columns :data:`MISMATCH_COLUMNS`: ``row`` (data row from 1),
        ``mirna_id``, ``mirna_seq`` (as given), ``reference_seq`` (the reference's sequence of that name),
        ``kind`` (one of :data:`MISMATCH_KINDS`: the given sequence is the reference sequence of another
        miRNA of the same species, a likely mix-up; the two share at least :data:`SHIFTED_ENDS_OVERLAP`
        nt in a row, an isoform or older annotation; or neither) and ``sequence_of`` (reference names
        whose sequence is the given one, comma-separated; empty when none). Sorted by kind, then row.
        Empty when the table has no ``mirna_id`` column, the reference is empty, or all names agree.
    """
    if not reference or "mirna_id" not in pairs.columns or pairs.empty:
        return pd.DataFrame(columns=list(MISMATCH_COLUMNS))
    lookup = _MirnaReference(reference)
    names = pairs["mirna_id"].astype(str)
    named = lookup.lookup(names)
    given = pairs["mirna_seq"].astype(str)
    differs = (named.notna() & (given != "") & (named != given)).to_numpy()
    if not differs.any():
        return pd.DataFrame(columns=list(MISMATCH_COLUMNS))
    names_by_sequence: dict[str, list[str]] = {}
    for name, sequence in lookup.by_name.items():
        names_by_sequence.setdefault(sequence, []).append(name)
    records = []
    for index in pairs.index[differs]:
        name, sequence, reference_seq = names[index], given[index], named[index]
        owners = names_by_sequence.get(sequence, [])
        if any(_species_prefix(owner) == _species_prefix(name) != "" for owner in owners):
            kind = MISMATCH_KINDS[0]
        elif _longest_shared_stretch(sequence, reference_seq) >= SHIFTED_ENDS_OVERLAP:
            kind = MISMATCH_KINDS[1]
        else:
            kind = MISMATCH_KINDS[2]
        records.append((int(index) + 1, name, sequence, reference_seq, kind, ", ".join(owners)))
    table = pd.DataFrame(records, columns=list(MISMATCH_COLUMNS))
    order = table["kind"].map({kind: rank for rank, kind in enumerate(MISMATCH_KINDS)})
    return (
        table.assign(_order=order)
        .sort_values(["_order", "row"])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def describe_name_mismatches(mismatches: pd.DataFrame) -> str:
    """One sentence about a :func:`mirna_name_mismatches` table for the user ("" when it is empty).

    E.g. ``"4 rows name a miRNA whose reference sequence differs from the one given: 4 carry the sequence
    of another miRNA of the same species (a likely name mix-up; first: row 139, stu-miR530 with the
    sequence of stu-miR5303c, stu-miR5303a, ...). Models score the sequences as given."``
    """
    if mismatches.empty:
        return ""
    counts = mismatches["kind"].value_counts()
    explanations = {
        MISMATCH_KINDS[0]: "carry the sequence of another miRNA of the same species (a likely name mix-up",
        MISMATCH_KINDS[1]: "overlap it with shifted ends (an isoform or an older annotation)",
        MISMATCH_KINDS[2]: "differ otherwise (e.g. the other arm of the precursor)",
    }
    parts = []
    for kind in MISMATCH_KINDS:
        if kind not in counts:
            continue
        part = f"{counts[kind]:,} {explanations[kind]}"
        if kind == MISMATCH_KINDS[0]:
            first = mismatches[mismatches["kind"] == kind].iloc[0]
            owners = first["sequence_of"].split(", ")
            shown = ", ".join(owners[:3]) + (", ..." if len(owners) > 3 else "")
            part += f"; first: row {first['row']}, {first['mirna_id']} with the sequence of {shown})"
        parts.append(part)
    rows = "row names" if len(mismatches) == 1 else "rows name"
    return (
        f"{len(mismatches):,} {rows} a miRNA whose reference sequence differs from the one given: "
        + "; ".join(parts)
        + ". Models score the sequences as given."
    )


def atomic_write(path: str | Path, write: Callable[[str], Any]) -> Path:
    """Write a file so that readers see either the old or the complete new content, never a part.

    ``write(temporary_path)`` writes a temporary file in the same folder, which is then renamed over
    ``path``; if ``write`` fails, the temporary file is removed and ``path`` is left as it was. The new
    file gets the usual permissions (0666 less the umask).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
