"""What a column of a pair table holds: header aliases of each role and content sniffing.

Holds the accepted header names of each column role (``mirna_seq``, ``target_seq``, ``mirna_id``,
``target_id``, ``label``), how headers are compared (:func:`_header_key`), and the tests of a column's
content (sequences, labels) used where a header is ambiguous or missing.
"""

from __future__ import annotations

import re

import pandas as pd

from rnaapp.io.sequences import _ALLOWED_LETTERS, _WHITESPACE

_LABEL_VALUES = {"0": 0, "1": 1, "0.0": 0, "1.0": 1, "true": 1, "false": 0}
_CONTENT_SAMPLE_SIZE = 200


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
