"""Reading scan inputs, streamed.

miRNA lists (names, sequences, FASTA, tables) and transcripts (FASTA or tables, plain or gzipped).
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from rnaapp.io import (
    InputError,
    _header_key,
    _open_sequence_file,
    _read_text,
    _sequence_issue,
    count_fasta_records,
    iter_fasta,
    normalise_sequence,
    read_fasta,
)
from rnaapp.io.fasta import TargetHeader, parse_target_header
from rnaapp.settings import resolve_mirnas


def _check_unique(ids: Sequence[str], what: str, source: str) -> None:
    seen: dict[str, int] = {}
    for number, identifier in enumerate(ids, start=1):
        if identifier in seen:
            raise InputError(
                f"duplicate {what} id '{identifier}' (also record {seen[identifier]}); give every record a "
                "unique name",
                source=source,
                row=number,
            )
        seen[identifier] = number


def read_mirna_list(
    content: str | bytes, reference: Mapping[str, str], *, source: str = "<miRNAs>"
) -> list[tuple[str, str]]:
    """MiRNAs given as FASTA, or as one name or sequence per line (names resolved through ``reference``).

    Raises
    ------
    InputError
        For empty input, unknown names, bad sequences or duplicate ids (naming the record or line).
    """
    text = content.decode("utf-8", errors="replace") if isinstance(content, bytes) else content
    if not text.strip():
        raise InputError("no miRNAs given", source=source)
    if text.lstrip().startswith(">"):
        records = read_fasta(text.encode("utf-8"), name=source, molecule="miRNA")
        mirnas = list(zip(records["id"], records["seq"], strict=True))
    else:
        entries = [line.strip() for line in text.splitlines() if line.strip()]
        mirnas = resolve_mirnas(entries, reference, source=source)
    _check_unique([identifier for identifier, _ in mirnas], "miRNA", source)
    return mirnas


def read_transcripts(content: str | bytes, *, source: str = "<targets>") -> list[tuple[str, str]]:
    """Transcripts (3'UTRs, lncRNAs, genes) from FASTA text or bytes (gzip accepted).

    Raises
    ------
    InputError
        For an empty or non-FASTA input, an empty or non-nucleotide record, or duplicate ids.
    """
    return read_transcript_records(content, source=source)[0]


def read_transcript_records(
    content: str | bytes, *, source: str = "<targets>"
) -> tuple[list[tuple[str, str]], dict[str, TargetHeader]]:
    """:func:`read_transcripts`, and the headers that name a gene beyond their id (for ``target_headers``).

    Returns
    -------
    (list of (str, str), dict)
        ``(id, sequence)`` per transcript, and target id -> :func:`rnaapp.io.parse_target_header` of the
        whole header for the records whose header names a symbol or transcript after the id
        (``>utr_7 TP53``), to pass as ``target_headers`` to :func:`rnaapp.scan.scan_batches`.

    Raises
    ------
    InputError
        As :func:`read_transcripts`.
    """
    data = content.encode("utf-8") if isinstance(content, str) else content
    if not data.strip():
        raise InputError("the file is empty (0 bytes of sequence)", source=source)
    records = read_fasta(data, name=source, molecule="target")
    _check_unique(records["id"].tolist(), "transcript", source)
    headers = {}
    for identifier, description in zip(records["id"], records["description"], strict=True):
        if description:
            _keep_if_informative(headers, parse_target_header(f"{identifier} {description}"))
    return list(zip(records["id"], records["seq"], strict=True)), headers


def _keep_if_informative(headers: dict[str, TargetHeader], header: TargetHeader) -> None:
    """Keep ``header`` when it names more than its id alone does (the scan reads the id itself)."""
    if header != parse_target_header(header.target_id):
        headers[header.target_id] = header


def transcript_headers(path: str | os.PathLike, *, name: str | None = None) -> dict[str, TargetHeader]:
    """The headers of a transcript FASTA file that name a gene beyond their id, streamed (any size).

    As :func:`read_transcript_records`' second value, for files read with :func:`iter_transcripts`;
    empty for a table. Reads only the header lines (gzip accepted) and does not validate the records.

    Raises
    ------
    InputError
        For a missing, unreadable or binary file.
    """
    source = name or Path(path).name or str(path)
    head, compressed = _first_text(path, source)
    first_line = next((line for line in head.splitlines() if line.strip()), "")
    headers: dict[str, TargetHeader] = {}
    if not first_line.lstrip().startswith(">"):
        return headers
    stream, _ = _open_sequence_file(path, source)
    with stream:
        try:
            for raw in stream:
                line = raw.lstrip()
                if line[:1] == b">" and len(line.split(None, 1)) > 1:
                    text = line.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
                    _keep_if_informative(headers, parse_target_header(text))
        except (OSError, EOFError, zlib.error) as err:
            raise InputError(f"cannot read the file ({err})", source=source) from None
    return headers


def filter_pairs(
    pairs: pd.DataFrame,
    *,
    min_probability: float = 0.0,
    site_types: Sequence[str] | None = None,
    mirnas: Sequence[str] | None = None,
    target_query: str = "",
    max_expectation: float | None = None,
    sort_by: str = "rank",
    ascending: bool = True,
) -> pd.DataFrame:
    """Rows of a ranked pair table that pass the filters, sorted.

    Parameters
    ----------
    pairs
        :attr:`ScanResult.pairs`.
    min_probability
        Keep pairs scoring at least this.
    site_types
        Keep pairs whose best site is of one of these types (None or empty: all).
    mirnas
        Keep these miRNA ids (None or empty: all).
    target_query
        Keep targets whose id, gene symbol or transcript id contains this text (case-insensitive).
    max_expectation
        Keep pairs whose best plant site has at most this expectation (None: all; pairs without an
        expectation, as from site models, never pass a limit).
    sort_by, ascending
        Column to sort by.
    """
    keep = pairs["probability"] >= min_probability
    if site_types:
        keep &= pairs["best_site_type"].isin(list(site_types))
    if mirnas:
        keep &= pairs["mirna_id"].isin(list(mirnas))
    if target_query.strip():
        names = [
            column for column in ("target_id", "gene_symbol", "transcript_id") if column in pairs.columns
        ]
        matches = pd.Series(False, index=pairs.index)
        for column in names:
            matches |= (
                pairs[column]
                .fillna("")
                .astype(str)
                .str.contains(target_query.strip(), case=False, regex=False)
            )
        keep &= matches
    if max_expectation is not None:
        if "best_site_expectation" not in pairs.columns:
            raise ValueError("these pairs have no expectation (only plant models' scans give one)")
        keep &= pairs["best_site_expectation"] <= max_expectation
    if sort_by not in pairs.columns:
        raise ValueError(f"cannot sort by '{sort_by}': no such column")
    return pairs[keep].sort_values(sort_by, ascending=ascending, kind="stable")


# ---------------------------------------------------------------------------------------------------------
# Reading miRNA and transcript files (streamed, validated)
# ---------------------------------------------------------------------------------------------------------

# Header names (compared as rnaapp.io compares them: lowercase letters and digits) of the id and the
# sequence column of a transcript table, first match wins.
_TRANSCRIPT_ID_HEADERS = (
    "target_id",
    "transcript_id",
    "target_name",
    "transcript_name",
    "id",
    "name",
    "gene_id",
    "gene_name",
    "gene_symbol",
    "mrna_id",
    "lncrna_id",
    "target",
    "transcript",
    "gene",
)
_TRANSCRIPT_SEQUENCE_HEADERS = (
    "target_seq",
    "target_sequence",
    "transcript_seq",
    "transcript_sequence",
    "seq",
    "sequence",
    "utr",
    "3utr",
    "utr_seq",
    "utr_sequence",
    "mrna_seq",
    "mrna_sequence",
    "lncrna_seq",
    "lncrna_sequence",
    "gene_seq",
    "gene_sequence",
)
_MIRNA_NAME_HEADERS = ("mirna_id", "mirna_name", "mature_id", "mature_name", "mirna", "name", "id")
_MIRNA_SEQUENCE_HEADERS = ("mirna_seq", "mirna_sequence", "mature_seq", "mature_sequence", "seq", "sequence")
_TABLE_ROWS_PER_CHUNK = 65_536


def _first_text(path: str | os.PathLike, source: str) -> tuple[str, bool]:
    """The first 64 KiB of a (possibly gzip) text file as text, and whether the file is compressed."""
    stream, compressed = _open_sequence_file(path, source)
    with stream:
        try:
            head = stream.read(65_536)
        except (OSError, EOFError) as err:
            raise InputError(f"cannot read the file ({err})", source=source) from None
    return head.decode("utf-8", errors="replace").lstrip("\ufeff"), compressed


def _table_separator(line: str) -> str:
    if "\t" in line:
        return "\t"
    if ";" in line and "," not in line:
        return ";"
    return ","


def _pick_column(columns: Sequence[str], aliases: Sequence[str]) -> str | None:
    keys = {_header_key(column): column for column in reversed(list(columns))}
    for alias in aliases:
        column = keys.get(_header_key(alias))
        if column is not None:
            return column
    return None


def _iter_transcript_table(path: str | os.PathLike, source: str, first_line: str, compressed: bool):
    separator = _table_separator(first_line)
    options: dict[str, Any] = {
        "sep": separator,
        "dtype": str,
        "keep_default_na": False,
        "compression": "gzip" if compressed else None,
        "encoding": "utf-8-sig",
        "encoding_errors": "replace",
    }
    try:
        columns = list(pd.read_csv(path, nrows=0, **options).columns)
    except (ValueError, OSError, EOFError) as err:
        raise InputError(f"cannot read the table ({err})", source=source) from None
    id_column = _pick_column(columns, _TRANSCRIPT_ID_HEADERS)
    sequence_column = _pick_column(columns, _TRANSCRIPT_SEQUENCE_HEADERS)
    if sequence_column is None:
        raise InputError(
            "expected FASTA (lines starting with '>') or a table with a header naming an id and a sequence "
            f"column (e.g. target_id,target_seq or id,seq); found columns: {', '.join(map(str, columns))}",
            source=source,
        )
    used = [column for column in (id_column, sequence_column) if column is not None]
    seen: dict[str, int] = {}
    row = 0
    try:
        reader = pd.read_csv(path, usecols=used, chunksize=_TABLE_ROWS_PER_CHUNK, **options)
        for chunk in reader:
            identifiers = (
                chunk[id_column].str.strip().tolist() if id_column is not None else [""] * len(chunk)
            )
            for identifier, raw_sequence in zip(identifiers, chunk[sequence_column].tolist(), strict=True):
                row += 1
                identifier = identifier or f"target_{row}"
                sequence = normalise_sequence(raw_sequence)
                issue = _sequence_issue(sequence, "target", None, None)
                if issue is not None:
                    raise InputError(f"{issue[1]} (transcript '{identifier}')", source=source, row=row)
                if identifier in seen:
                    raise InputError(
                        f"duplicate transcript id '{identifier}' (also row {seen[identifier]}); give every "
                        "transcript a unique name",
                        source=source,
                        row=row,
                    )
                seen[identifier] = row
                yield identifier, sequence
    except (pd.errors.ParserError, UnicodeError, OSError, EOFError) as err:
        raise InputError(f"cannot read the table after row {row} ({err})", source=source) from None
    if row == 0:
        raise InputError("the table has a header but no transcripts", source=source)


def iter_transcripts(path: str | os.PathLike, *, name: str | None = None) -> Iterator[tuple[str, str]]:
    """Stream the transcripts of a FASTA file or table, validated, one at a time (any file size).

    Parameters
    ----------
    path
        FASTA (optionally gzip-compressed), or a CSV/TSV table (optionally gzip-compressed) with a header
        naming a sequence column (``target_seq``, ``seq``, ``sequence``, ``3'UTR``, ...) and, optionally,
        an id column (``target_id``, ``transcript_id``, ``id``, ``name``, ``gene``, ...).
    name
        File name to use in error messages (default: the path's name).

    Yields
    ------
    tuple of (str, str)
        ``(id, sequence)`` in file order; sequences as uppercase RNA, 5'->3' (see :func:`rnaapp.io.iter_fasta`).
        Table rows without an id are named ``target_<row>``.

    Raises
    ------
    InputError
        When the problem is reached (records before it have been yielded, so read the file through once,
        e.g. to count it, before starting long work): an empty file, neither FASTA nor a table with a
        sequence column, an empty or non-nucleotide record, or a duplicate id (``row`` is the 1-based
        record or data-row number).
    """
    source = name or Path(path).name or str(path)
    head, compressed = _first_text(path, source)
    first_line = next((line for line in head.splitlines() if line.strip()), "")
    if not first_line or first_line.lstrip().startswith(">"):
        seen: dict[str, int] = {}
        for number, (identifier, sequence) in enumerate(iter_fasta(path, name=source), start=1):
            if identifier in seen:
                raise InputError(
                    f"duplicate transcript id '{identifier}' (also record {seen[identifier]}); give every "
                    "record a unique name",
                    source=source,
                    row=number,
                )
            seen[identifier] = number
            yield identifier, sequence
    else:
        yield from _iter_transcript_table(path, source, first_line, compressed)


def count_transcripts(path: str | os.PathLike) -> int:
    """Number of records of a transcript FASTA file, or of data lines of a table; fast, not validated."""
    source = Path(path).name or str(path)
    head, _ = _first_text(path, source)
    first_line = next((line for line in head.splitlines() if line.strip()), "")
    if not first_line or first_line.lstrip().startswith(">"):
        return count_fasta_records(path)
    stream, _ = _open_sequence_file(path, source)
    lines = 0
    last = b"\n"
    with stream:
        while block := stream.read(1 << 20):
            lines += block.count(b"\n")
            last = block[-1:]
    return max(0, lines + (last != b"\n") - 1)


def read_mirnas_file(
    path: str | os.PathLike, reference: Mapping[str, str], *, name: str | None = None
) -> list[tuple[str, str]]:
    """MiRNAs from a file: FASTA, one name or sequence per line, or a table with a name or sequence column.

    Parameters
    ----------
    path
        The file (gzip accepted). A table has a header naming a name column (``mirna_id``, ``miRNA``,
        ``name``, ``id``, ...) and/or a sequence column (``mirna_seq``, ``mature_sequence``, ``seq``,
        ``sequence``, ...), separated by commas, tabs or semicolons.
    reference
        Name -> sequence for resolving names, e.g. ``rnaapp.settings.mirna_reference()`` (the configured
        miRBase ``mature.fa`` plus built-in examples).
    name
        File name to use in error messages.

    Returns
    -------
    list of (str, str)
        ``(id, sequence)`` per miRNA in file order, sequences as uppercase RNA, 5'->3'. A table row with
        both a name and a sequence keeps its own sequence; a sequence without a name is named by itself.

    Raises
    ------
    InputError
        For an empty file, unknown names (with close names from ``reference``), bad sequences, a table
        without a usable column, or duplicate ids; naming the record, line or data row.
    """
    source = name or Path(path).name or str(path)
    text = _read_text(path, source)
    if text.lstrip().startswith(">"):
        return read_mirna_list(text, reference, source=source)
    first_line = next(line for line in text.split("\n") if line.strip())
    separator = _table_separator(first_line)
    headers = [header.strip() for header in first_line.split(separator)]
    name_column = _pick_column(headers, _MIRNA_NAME_HEADERS)
    sequence_column = _pick_column(headers, _MIRNA_SEQUENCE_HEADERS)
    if name_column is None and sequence_column is None:
        if any(delimiter in first_line for delimiter in ("\t", ",", ";")):
            raise InputError(
                "expected FASTA, one miRNA name or sequence per line, or a table with a header naming a "
                f"name column (mirna_id, name) or a sequence column (mirna_seq, sequence); found columns: "
                f"{', '.join(headers)}",
                source=source,
            )
        return read_mirna_list(text, reference, source=source)
    try:
        table = pd.read_csv(
            io.StringIO(text), sep=separator, dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except ValueError as err:
        raise InputError(f"cannot read the table ({err})", source=source) from None
    names = table[name_column].str.strip() if name_column is not None else pd.Series([""] * len(table))
    sequences = (
        table[sequence_column].str.strip() if sequence_column is not None else pd.Series([""] * len(table))
    )
    entries = [sequence or given_name for given_name, sequence in zip(names, sequences, strict=True)]
    resolved = iter(resolve_mirnas(entries, reference, source=source))
    mirnas = []
    for given_name, entry in zip(names, entries, strict=True):
        if entry:
            resolved_name, sequence = next(resolved)
            mirnas.append((given_name or resolved_name, sequence))
    if not mirnas:
        raise InputError("no miRNAs given", source=source)
    _check_unique([identifier for identifier, _ in mirnas], "miRNA", source)
    return mirnas
