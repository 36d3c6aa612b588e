"""FASTA files of miRNA or target sequences: read whole, streamed, counted, and matched to pairs.

Holds :func:`read_fasta` (a table of records), :func:`iter_fasta` (one record at a time, for files of
any size, gzip accepted), :func:`count_fasta_records` (fast, for progress bars) and
:func:`attach_target_sequences` (gene sequences for pairs named by gene).
"""

from __future__ import annotations

import io
import os
import zlib
from collections.abc import Iterator
from typing import Any

import pandas as pd

from rnaapp.io.errors import InputError
from rnaapp.io.files import _open_sequence_file, _read_text, _source_name, _stream_error
from rnaapp.io.sequences import _default_bounds, _sequence_issue, normalise_sequence

__all__ = ["attach_target_sequences", "count_fasta_records", "iter_fasta", "read_fasta"]

_STREAM_CHUNK = 1 << 20


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
