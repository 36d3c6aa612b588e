"""Read miRNA–target pair tables and sequence files, normalise them and validate them.

Every reader returns sequences as uppercase RNA (``T`` becomes ``U``) written 5'→3', and raises
:class:`InputError` with the file name, the 1-based data row and a plain-language problem when the input
cannot be used.

Modules
-------
errors
    :class:`InputError`.
sequences
    Normalising a sequence and saying what is wrong with one (:func:`normalise_sequence`,
    :func:`sequence_problem`, :data:`MIRNA_LENGTH_RANGE`).
files
    Reading a file whole as text or streaming it (gzip accepted), and :func:`atomic_write`.
bounded
    Bounded reads (regular files only, size-capped, gzip streamed and capped) and the paths typed into the
    app (:func:`read_server_file`, :func:`allowed_server_path`, :func:`readable_folders`,
    :func:`is_local_address`).
pairs
    :func:`read_pairs`, for every supported pair format (its docstring lists them), built on
    ``columns`` (header aliases and content sniffing), ``delimited`` (CSV/TSV tables), ``plant_lines``
    (plant ``>`` pair lines), ``parsed_pairs`` (normalisation and validation shared by every format) and
    ``reference`` (miRNA look-up by name).
pasted
    Typed or pasted sequences (:func:`split_pasted_record`, :func:`pairs_from_sequences`).
fasta
    FASTA files (:func:`read_fasta`, :func:`iter_fasta`, :func:`count_fasta_records`,
    :func:`attach_target_sequences`) and the gene a target header names (:func:`parse_target_header`).
utrs
    3'UTR references: a gene's 3'UTR by symbol or id, longest isoform (:class:`UtrReference`,
    :func:`utr_for_gene`).
mirbase
    miRBase files (:func:`read_mirbase`) and miRNA names that disagree with them
    (:func:`mirna_name_mismatches`, :func:`describe_name_mismatches`).

Every public name is importable from ``rnaapp.io`` itself, as before the package was split.
"""

from __future__ import annotations

# _header_key, _open_sequence_file, _read_text and _sequence_issue: private helpers that rnaapp.scan imported
# from rnaapp.io before the split, kept here for one release; new code imports them from their modules.
from rnaapp.io.bounded import allowed_server_path, is_local_address, read_server_file, readable_folders
from rnaapp.io.columns import _header_key as _header_key
from rnaapp.io.errors import InputError
from rnaapp.io.fasta import (
    TargetHeader,
    attach_target_sequences,
    count_fasta_records,
    iter_fasta,
    parse_target_header,
    read_fasta,
)
from rnaapp.io.files import _open_sequence_file as _open_sequence_file
from rnaapp.io.files import _read_text as _read_text
from rnaapp.io.files import atomic_write
from rnaapp.io.mirbase import (
    MISMATCH_COLUMNS,
    MISMATCH_KINDS,
    SHIFTED_ENDS_OVERLAP,
    describe_name_mismatches,
    mirna_name_mismatches,
    read_mirbase,
)
from rnaapp.io.pairs import PAIR_COLUMNS, read_pairs
from rnaapp.io.pasted import pairs_from_sequences, split_pasted_record
from rnaapp.io.sequences import (
    MIRNA_LENGTH_RANGE,
    TARGET_MIN_LENGTH,
    describe_siteless_targets,
    normalise_sequence,
    sequence_letter_problem,
    sequence_problem,
    siteless_target_rows,
    target_site_problem,
)
from rnaapp.io.sequences import _sequence_issue as _sequence_issue
from rnaapp.io.utrs import UnknownGeneError, UtrMatch, UtrReference, looks_like_gene_name, utr_for_gene

__all__ = [
    "allowed_server_path",
    "is_local_address",
    "read_server_file",
    "readable_folders",
    "MIRNA_LENGTH_RANGE",
    "MISMATCH_COLUMNS",
    "MISMATCH_KINDS",
    "PAIR_COLUMNS",
    "SHIFTED_ENDS_OVERLAP",
    "InputError",
    "atomic_write",
    "attach_target_sequences",
    "count_fasta_records",
    "describe_name_mismatches",
    "iter_fasta",
    "mirna_name_mismatches",
    "normalise_sequence",
    "pairs_from_sequences",
    "read_fasta",
    "read_mirbase",
    "read_pairs",
    "sequence_letter_problem",
    "sequence_problem",
    "siteless_target_rows",
    "target_site_problem",
    "describe_siteless_targets",
    "TARGET_MIN_LENGTH",
    "split_pasted_record",
    "TargetHeader",
    "parse_target_header",
    "UnknownGeneError",
    "UtrMatch",
    "UtrReference",
    "looks_like_gene_name",
    "utr_for_gene",
]
