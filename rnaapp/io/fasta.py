"""FASTA files of miRNA or target sequences: read whole, streamed, counted, and matched to pairs.

Holds :func:`read_fasta` (a table of records), :func:`iter_fasta` (one record at a time, for files of
any size, gzip accepted), :func:`count_fasta_records` (fast, for progress bars),
:func:`parse_target_header` (the gene id, transcript id and gene symbol a target header carries) and
:func:`attach_target_sequences` (gene sequences for pairs named by gene).
"""

from __future__ import annotations

import io
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from rnaapp.io.errors import InputError
from rnaapp.io.files import _open_sequence_file, _read_text, _source_name, _stream_error
from rnaapp.io.sequences import _default_bounds, _sequence_issue, normalise_sequence

__all__ = [
    "TargetHeader",
    "attach_target_sequences",
    "count_fasta_records",
    "iter_fasta",
    "parse_target_header",
    "read_fasta",
]

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


# ---------------------------------------------------------------------------------------------------------
# Target headers: gene id, transcript id and gene symbol
# ---------------------------------------------------------------------------------------------------------

_GENE_ID = re.compile(r"^ENS[A-Z]*G\d{6,}(\.\d+)?$")
_TRANSCRIPT_ID = re.compile(r"^(ENS[A-Z]*T\d{6,}|[NX][MR]_\d+)(\.\d+)?$")
_OTHER_ID = re.compile(r"^(OTT[A-Z]*[GT]\d+|ENS[A-Z]*P\d{6,})(\.\d+)?$")
_SYMBOL = re.compile(r"^[A-Za-z][A-Za-z0-9._\-@]{0,39}$")
# Words of headers that name a kind of sequence, not a gene (GENCODE biotypes, region names).
_NOT_SYMBOLS = frozenset(
    word.lower()
    for word in (
        "lncRNA",
        "mRNA",
        "miRNA",
        "snRNA",
        "snoRNA",
        "misc_RNA",
        "rRNA",
        "UTR",
        "UTR3",
        "3UTR",
        "cDNA",
    )
)
# ``key:value`` / ``key=value`` words of a header's description, and the field each one fills.
_KEYED_FIELDS = {
    "gene": "gene_id",
    "gene_id": "gene_id",
    "transcript": "transcript_id",
    "transcript_id": "transcript_id",
    "gene_symbol": "gene_symbol",
    "gene_name": "gene_symbol",
    "symbol": "gene_symbol",
}


@dataclass(frozen=True)
class TargetHeader:
    """What a target's FASTA header says about its gene (see :func:`parse_target_header`).

    Attributes
    ----------
    target_id
        The first word of the header: the id every rnaapp table uses for the target.
    gene_id
        Ensembl gene id (``ENSG…``, other species' ``ENS…G…`` too), or ``""``.
    transcript_id
        Ensembl (``ENST…``) or RefSeq (``NM_…``, ``NR_…``, ``XM_…``, ``XR_…``) transcript id, or ``""``.
    gene_symbol
        Gene symbol (``TP53``), or ``""`` when the header names none besides its id.
    """

    target_id: str
    gene_id: str = ""
    transcript_id: str = ""
    gene_symbol: str = ""

    def keys(self) -> list[str]:
        """Every name the target answers to: its id, each ``|`` field of it, its ids without version."""
        names = [
            self.target_id,
            *self.target_id.split("|"),
            self.gene_id,
            self.transcript_id,
            self.gene_symbol,
        ]
        for identifier in (self.gene_id, self.transcript_id):
            if "." in identifier:
                names.append(identifier.split(".", 1)[0])
        unique: dict[str, None] = {}
        for name in names:
            name = name.strip()
            if name and name != "-":
                unique.setdefault(name, None)
        return list(unique)


def _symbol_like(field: str) -> bool:
    return (
        bool(_SYMBOL.match(field))
        and field.lower() not in _NOT_SYMBOLS
        and not (field.islower() and "_" in field)  # protein_coding, retained_intron, ...
    )


def parse_target_header(header: str) -> TargetHeader:
    """The gene id, transcript id and gene symbol a target's FASTA header carries, where it carries them.

    The one header rule of rnaapp (scans label their targets with it, and 3'UTR references
    (:class:`rnaapp.io.utrs.UtrReference`, ``rnaapp rank --utrs``) find genes with it). Read from:

    - the ``|``-separated fields of the first word: ``ENSG…|ENST…|TP53`` (BioMart), or GENCODE's
      ``ENST…|ENSG…|OTTHUMG…|OTTHUMT…|TP53-201|TP53|2512|protein_coding|`` (its sixth field is the symbol);
      elsewhere the first field that is neither an id, a number nor a biotype is the symbol;
    - ``key:value`` or ``key=value`` words of the rest of the header (Ensembl's ``gene:ENSG…``,
      ``transcript:ENST…``, ``gene_symbol:TP53``; ``gene_name=``, ``symbol=``);
    - otherwise words of the rest when there is one (``>NM_000546 TP53``) or they hold an Ensembl id
      (``>ENSG… ENST… TP53``), except all-lowercase words; free text (``>NM_000546 tumor protein p53``)
      names no symbol.

    The first field is the target's own name, not a symbol, unless an id stands next to it
    (``>TP53|ENSG…``): a header of one plain name (``>TP53``, ``>ENSG00000141510 len=4082``) gives no
    symbol, its id is its name; ``>utr_7 TP53`` gives TP53.

    Parameters
    ----------
    header
        The header line, with or without its ``>``.

    Returns
    -------
    TargetHeader
        Empty strings where the header says nothing.

    Examples
    --------
    >>> parse_target_header(">ENSG00000141510|ENST00000269305|TP53")
    TargetHeader(target_id='ENSG00000141510|ENST00000269305|TP53', gene_id='ENSG00000141510', \
transcript_id='ENST00000269305', gene_symbol='TP53')
    """
    text = header.strip().lstrip(">").strip()
    parts = text.split(None, 1)
    target_id = parts[0] if parts else ""
    found = {"gene_id": "", "transcript_id": "", "gene_symbol": ""}
    words = parts[1].split() if len(parts) > 1 else []
    plain = []
    for word in words:
        key, separator, value = word.partition(":") if ":" in word else word.partition("=")
        if separator:
            field = _KEYED_FIELDS.get(key.lower())
            if field is not None and value and not found[field]:
                found[field] = value.strip(";,")
        else:
            plain.append(word.strip(";,"))
    fields = [field.strip() for field in target_id.split("|")]
    fields = [field for field in fields if field and field != "-"]
    gencode = len(fields) >= 6 and bool(_TRANSCRIPT_ID.match(fields[0])) and bool(_GENE_ID.match(fields[1]))
    if len(plain) == 1 or any(_GENE_ID.match(word) or _TRANSCRIPT_ID.match(word) for word in plain):
        fields += [word for word in plain if not word.islower()]  # ``>t1 human``: a word, not a symbol
    symbols = []
    for position, field in enumerate(fields):
        if _GENE_ID.match(field):
            found["gene_id"] = found["gene_id"] or field
        elif _TRANSCRIPT_ID.match(field):
            found["transcript_id"] = found["transcript_id"] or field
        elif not _OTHER_ID.match(field) and not field.isdigit() and _symbol_like(field):
            symbols.append((position, field))
    if gencode and _symbol_like(fields[5]):
        symbols.insert(0, (5, fields[5]))
    # The first field is the target's own name (``>utr_7 TP53``) unless an id sits next to it (``TP53|ENSG…``).
    first_is_name = bool(found["gene_id"] or found["transcript_id"])
    symbols = [field for position, field in symbols if position > 0 or first_is_name]
    if symbols and not found["gene_symbol"]:
        found["gene_symbol"] = symbols[0]
    return TargetHeader(target_id=target_id, **found)


def attach_target_sequences(pairs: pd.DataFrame, records: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Give the pairs without a target sequence the sequence of their gene from FASTA records.

    For pairs named by gene (miRNA–gene association data) and a FASTA of 3'UTRs whose headers name the
    genes. A record matches a pair's ``target_id`` by any name its header gives
    (:meth:`TargetHeader.keys`: the id, each ``|``-separated field of it, the gene id, transcript id and
    symbol of :func:`parse_target_header`; ``>ENSG…|ENST…|TP53`` matches TP53), exactly, else ignoring
    case; of several records of one gene (isoforms) the longest is used (the rule of
    :class:`rnaapp.io.utrs.UtrReference`). Sequences already in ``pairs`` are kept.

    Parameters
    ----------
    pairs : pandas.DataFrame, shape (n, ...)
        With ``target_id`` and, optionally, ``target_seq`` (empty where unknown).
    records : pandas.DataFrame
        :func:`read_fasta` of the sequences (columns ``id``, ``seq`` and, optionally, ``description``).

    Returns
    -------
    (pandas.DataFrame, int)
        A copy of ``pairs`` with ``target_seq`` filled where a record matched, and the number of distinct
        genes that received a sequence.
    """
    from rnaapp.io.utrs import UtrReference  # rnaapp.io.utrs reads FASTA files with this module

    reference = UtrReference.from_records(records)
    genes = pairs["target_id"].fillna("").astype(str)
    found = genes.map(lambda gene: reference.sequence_of(gene) or "")
    current = (
        pairs["target_seq"].fillna("").astype(str)
        if "target_seq" in pairs
        else pd.Series("", index=pairs.index)
    )
    filled = (current == "") & (found != "")
    result = pairs.copy()
    result["target_seq"] = current.where(~filled, found)
    return result, int(genes[filled].nunique())
