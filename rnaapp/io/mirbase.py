"""miRBase mature-sequence files: reading one, and finding pairs whose miRNA name disagrees with it.

Holds :func:`read_mirbase` (``mature.fa`` -> name -> sequence, with each name's ``MIMAT`` accession) and :func:`mirna_name_mismatches` /
:func:`describe_name_mismatches` (rows naming a miRNA whose reference sequence differs from the one
given). Resolving names typed by users through the configured miRBase file is :mod:`rnaapp.mirna_names`.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

import pandas as pd

from rnaapp.io.errors import InputError
from rnaapp.io.fasta import _fasta_records
from rnaapp.io.files import _read_text, _source_name
from rnaapp.io.reference import MirnaReference, _MirnaReference, is_mirbase_accession
from rnaapp.io.sequences import _sequence_issue, normalise_sequence

__all__ = [
    "MISMATCH_COLUMNS",
    "MISMATCH_KINDS",
    "SHIFTED_ENDS_OVERLAP",
    "describe_name_mismatches",
    "mirna_name_mismatches",
    "read_mirbase",
]


def read_mirbase(path_or_buffer: Any, *, name: str | None = None) -> MirnaReference:
    """Read a miRBase mature-sequence FASTA (``mature.fa``) into a name → sequence dictionary.

    Parameters
    ----------
    path_or_buffer
        Path, ``bytes`` or file-like object (gzip accepted, decompressed with a cap); DNA or RNA letters.
        Headers as in miRBase: ``>hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p``.
    name
        File name to use in error messages (default: the path's or buffer's name).

    Returns
    -------
    MirnaReference
        A ``dict``: first header word (e.g. ``"hsa-miR-99a-5p"``) → uppercase RNA sequence; the first
        record wins when a name repeats. Lengths are not checked (a few miRBase entries exceed 30 nt). Its
        ``accessions`` map each header's second word, when it is a miRBase accession (``MIMAT0000062``),
        uppercase, to the name (the first record wins).

    Raises
    ------
    InputError
        For an empty or non-FASTA file or a record with an empty sequence or letters other than ACGUTN.
    """
    source = _source_name(path_or_buffer, name)
    records = _fasta_records(_read_text(path_or_buffer, source), source)
    reference: dict[str, str] = {}
    accessions: dict[str, str] = {}
    for number, (title, raw_seq) in enumerate(records, start=1):
        parts = title.split()
        seq = normalise_sequence(raw_seq)
        issue = _sequence_issue(seq, "miRNA", None, None)
        if issue is not None or not parts:
            raise InputError(issue[1] if issue else "record without a name", source=source, row=number)
        reference.setdefault(parts[0], seq)
        if len(parts) > 1 and is_mirbase_accession(parts[1]):
            accessions.setdefault(parts[1].upper(), parts[0])
    return MirnaReference(reference, accessions)


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
