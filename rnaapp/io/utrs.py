"""3'UTR references: find a gene's 3'UTR by symbol, Ensembl gene id or transcript id.

A 3'UTR reference is a FASTA file of 3'UTRs whose headers name their genes (``>ENSG…|ENST…|TP53``, GENCODE
or Ensembl headers; see :func:`rnaapp.io.fasta.parse_target_header`). :class:`UtrReference` indexes it
by every name its headers give; a gene with several records (isoforms) answers with the longest one,
the rule ``rnaapp rank --utrs`` and :func:`rnaapp.io.attach_target_sequences` use. :func:`utr_for_gene`
turns a typed name into a labelled sequence, with close names for a name the reference does not hold.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import pandas as pd

from rnaapp.io.errors import InputError
from rnaapp.io.fasta import TargetHeader, parse_target_header, read_fasta
from rnaapp.io.files import _source_name

__all__ = [
    "UnknownGeneError",
    "UtrMatch",
    "UtrReference",
    "configured_utr_reference",
    "looks_like_gene_name",
    "reference_of_file",
    "utr_for_gene",
    "utrs_for_genes",
]

#: Close names offered for a name the reference does not hold.
_SUGGESTIONS = 5
_GENE_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9._\-@]{0,39}$")
_VERSIONED_ID = re.compile(r"^(ENS[A-Z]*[GT]\d{6,}|[NX][MR]_\d+)\.\d+$")
_NUCLEOTIDES = frozenset("ACGUTNacgutn")


class UnknownGeneError(InputError):
    """A gene name that a 3'UTR reference does not hold; ``suggestions`` are close names it does hold."""

    def __init__(self, problem: str, *, source: str = "<input>", suggestions: Iterable[str] = ()) -> None:
        super().__init__(problem, source=source)
        self.suggestions = list(suggestions)

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            self.__class__,
            (self.problem,),
            {"source": self.source, "row": self.row, "suggestions": self.suggestions},
        )


@dataclass(frozen=True)
class UtrMatch:
    """The 3'UTR a reference gives for a name (see :meth:`UtrReference.lookup`).

    Attributes
    ----------
    query
        The name as typed.
    header
        The chosen record's header (its id, gene id, transcript id and symbol).
    sequence
        Its 3'UTR, uppercase RNA, 5'->3'.
    isoforms
        Number of records of the reference that answer to the name (the longest was chosen).
    """

    query: str
    header: TargetHeader
    sequence: str
    isoforms: int

    @property
    def label(self) -> str:
        """A short name for tables: the symbol (else the query) and the chosen transcript or record."""
        name = self.header.gene_symbol or self.query
        record = self.header.transcript_id or self.header.target_id
        return name if record.lower() == name.lower() else f"{name} ({record})"

    def describe(self) -> str:
        """One sentence: which record was chosen, its length, and of how many isoforms."""
        record = self.header.transcript_id or self.header.target_id
        of = f", the longest of {self.isoforms} isoforms" if self.isoforms > 1 else ""
        return f"{self.query}: 3'UTR {record} ({len(self.sequence):,} nt{of})"


@dataclass
class UtrReference:
    """A 3'UTR FASTA indexed by gene symbol, gene id and transcript id; longest isoform per name.

    Build it with :meth:`read` (a file, bounded read) or :meth:`from_records` (a :func:`read_fasta`
    table). Names are matched exactly, else ignoring case; Ensembl and RefSeq ids also without their
    version (on either side).

    Attributes
    ----------
    source
        The file's name, for messages.
    headers, sequences
        The records, in file order.
    """

    source: str
    headers: list[TargetHeader]
    sequences: list[str]
    _exact: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _folded: dict[str, list[int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for index, header in enumerate(self.headers):
            for key in header.keys():
                self._exact.setdefault(key, []).append(index)
                self._folded.setdefault(key.upper(), []).append(index)

    @classmethod
    def from_records(cls, records: pd.DataFrame, *, source: str = "<3'UTRs>") -> UtrReference:
        """Index a :func:`read_fasta` table (``id``, ``seq`` and, optionally, ``description``)."""
        ids = records["id"].astype(str).tolist()
        descriptions = (
            records["description"].fillna("").astype(str).tolist()
            if "description" in records
            else [""] * len(ids)
        )
        headers = [
            parse_target_header(f"{identifier} {description}".strip())
            for identifier, description in zip(ids, descriptions, strict=True)
        ]
        return cls(source=source, headers=headers, sequences=records["seq"].astype(str).tolist())

    @classmethod
    def read(cls, path_or_buffer: Any, *, name: str | None = None) -> UtrReference:
        """Read a 3'UTR FASTA (path, bytes or upload; gzip accepted), bounded as every whole-file read.

        Raises
        ------
        InputError
            For a file :func:`read_fasta` refuses (missing, too large, not FASTA, bad letters).
        """
        source = _source_name(path_or_buffer, name)
        return cls.from_records(read_fasta(path_or_buffer, name=source, molecule="target"), source=source)

    def __len__(self) -> int:
        return len(self.sequences)

    @property
    def n_genes(self) -> int:
        """Distinct genes (gene id, else symbol, else record id)."""
        return len({h.gene_id or h.gene_symbol.upper() or h.target_id for h in self.headers})

    def _records(self, name: str) -> list[int]:
        name = name.strip()
        found = self._exact.get(name) or self._folded.get(name.upper())
        if not found and _VERSIONED_ID.match(name):  # ENSG….7 against a reference without versions
            return self._records(name.rsplit(".", 1)[0])
        return found or []

    def lookup(self, name: str) -> UtrMatch | None:
        """The longest record answering to ``name`` (first in the file on a tie), or None."""
        records = self._records(name)
        if not records:
            return None
        best = max(records, key=lambda index: (len(self.sequences[index]), -index))
        return UtrMatch(
            query=name.strip(),
            header=self.headers[best],
            sequence=self.sequences[best],
            isoforms=len(records),
        )

    def sequence_of(self, name: str) -> str | None:
        """The sequence of :meth:`lookup`, or None."""
        match = self.lookup(name)
        return match.sequence if match is not None else None

    def similar_names(self, name: str, limit: int = _SUGGESTIONS) -> list[str]:
        """Gene symbols (else ids) of the reference that look like ``name``, closest first."""
        names: dict[str, str] = {}
        for header in self.headers:
            shown = header.gene_symbol or header.gene_id or header.target_id
            names.setdefault(shown.upper(), shown)
        close = difflib.get_close_matches(name.strip().upper(), list(names), n=limit, cutoff=0.6)
        return [names[match] for match in close]


def looks_like_gene_name(text: str) -> bool:
    """Whether typed text reads as one gene name or id (``TP53``, ``ENSG…``, ``NM_000546``), not a sequence.

    One word of letters, digits and ``._-@``, starting with a letter, of at most 40 characters, with a
    letter other than ACGUTN or a digit (``GATA1``; ``CAT`` or ``ACGU`` read as sequences), and not a
    sequence with a typo (12 or more characters, at least 80 % of them ACGUTN: ``ACGUACGXACGUAC``).
    """
    word = text.strip()
    if not _GENE_NAME.match(word) or set(word) <= _NUCLEOTIDES:
        return False
    nucleotides = sum(letter in _NUCLEOTIDES for letter in word)
    return len(word) < 12 or nucleotides < 0.8 * len(word)


def utr_for_gene(query: str, reference: UtrReference) -> tuple[str, str]:
    """The 3'UTR of a gene named by symbol, Ensembl gene id or transcript id: its label and sequence.

    Parameters
    ----------
    query
        ``TP53``, ``tp53``, ``ENSG00000141510`` (with or without version) or ``ENST00000269305``.
    reference
        The 3'UTR reference; of several isoforms of the gene the longest is used.

    Returns
    -------
    (str, str)
        A label (symbol and chosen transcript, :attr:`UtrMatch.label`) and the sequence (RNA, 5'->3').

    Raises
    ------
    UnknownGeneError
        When the reference holds no record of that name; the message names the reference, its number of
        genes and close names (also in ``suggestions``).
    """
    match = reference.lookup(query)
    if match is None:
        raise unknown_gene(query, reference)
    return match.label, match.sequence


def unknown_gene(query: str, reference: UtrReference) -> UnknownGeneError:
    """The error for a name ``reference`` does not hold, with close names."""
    suggestions = reference.similar_names(query)
    hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
    return UnknownGeneError(
        f"no 3'UTR named '{query.strip()}' among the {reference.n_genes:,} genes of the 3'UTR reference "
        f"(looked up as a gene symbol, Ensembl gene id or transcript id){hint}",
        source=reference.source,
        suggestions=suggestions,
    )


def utrs_for_genes(
    names: Iterable[str], reference: UtrReference
) -> tuple[list[tuple[str, str]], list[UtrMatch]]:
    """The 3'UTRs of several genes (a typed list), as scan targets, with what was chosen for each.

    Parameters
    ----------
    names
        Gene symbols or ids; blank entries are skipped, repeats kept once.
    reference
        The 3'UTR reference (longest isoform per gene).

    Returns
    -------
    (list of (str, str), list of UtrMatch)
        ``(record id, sequence)`` per gene, the record's own header id (so that a scan's
        ``gene_symbol`` and ``transcript_id`` columns name it), and the matches in the same order.

    Raises
    ------
    UnknownGeneError
        Naming every name the reference does not hold, with close names for the first.
    """
    matches: list[UtrMatch] = []
    unknown: list[str] = []
    seen: set[str] = set()
    for name in (name.strip() for name in names):
        if not name or name.upper() in seen:
            continue
        seen.add(name.upper())
        match = reference.lookup(name)
        if match is None:
            unknown.append(name)
        elif all(match.header.target_id != kept.header.target_id for kept in matches):
            matches.append(match)
    if unknown:
        error = unknown_gene(unknown[0], reference)
        if len(unknown) > 1:
            others = ", ".join(f"'{name}'" for name in unknown[1:])
            error = UnknownGeneError(
                f"{error.problem}; also not found: {others}",
                source=error.source,
                suggestions=error.suggestions,
            )
        raise error
    return [(match.header.target_id, match.sequence) for match in matches], matches


@lru_cache(maxsize=4)
def _reference_of_file(path: str, modified_ns: int, size: int) -> UtrReference:
    return UtrReference.read(path)


def reference_of_file(path: str | os.PathLike) -> UtrReference:
    """:meth:`UtrReference.read` of a file, kept in memory while the file is unchanged (mtime and size).

    Raises
    ------
    InputError
        For a missing or unreadable file, or one :meth:`UtrReference.read` refuses.
    """
    try:
        status = os.stat(path)
    except OSError as err:
        raise InputError(f"cannot read the 3'UTR file ({err.strerror or err})", source=str(path)) from None
    return _reference_of_file(str(path), status.st_mtime_ns, status.st_size)


def configured_utr_reference() -> UtrReference | None:
    """The 3'UTR reference of the user's settings (``rnaapp.settings.configured_utr_fasta``), or None.

    None when no 3'UTR FASTA is configured (or this rnaapp's settings have no such entry).

    Raises
    ------
    InputError
        For a configured file that cannot be read.
    """
    from rnaapp import settings  # rnaapp.settings imports rnaapp.io

    configured = getattr(settings, "configured_utr_fasta", None)
    path = configured() if configured is not None else None
    return reference_of_file(path) if path else None
