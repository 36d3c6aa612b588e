"""Read miRNA–target pair tables in any supported format: :func:`read_pairs`.

:func:`read_pairs` returns sequences as uppercase RNA (``T`` becomes ``U``) written 5'→3', and raises
:class:`~rnaapp.io.errors.InputError` with the file name, the 1-based data row and a plain-language
problem when the input cannot be used.

Pair formats recognised (detected automatically):

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

The parsers live in :mod:`rnaapp.io.delimited` and :mod:`rnaapp.io.plant_lines`; the normalisation and
validation every format shares in :mod:`rnaapp.io.parsed_pairs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from rnaapp.io.delimited import _parse_delimited
from rnaapp.io.errors import InputError
from rnaapp.io.files import _read_text, _source_name
from rnaapp.io.parsed_pairs import PAIR_COLUMNS, _finalise
from rnaapp.io.plant_lines import _PLANT_FIELD_COUNTS, _parse_plant_lines
from rnaapp.io.reference import _MirnaReference
from rnaapp.io.sequences import MIRNA_LENGTH_RANGE

__all__ = ["PAIR_COLUMNS", "read_pairs"]


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
