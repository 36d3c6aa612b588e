"""Variant effects on miRNA sites: a table of variants on transcripts x miRNAs -> scores before and after.

Variants are given on transcript coordinates (a 3'UTR SNP or small indel as it falls on the 3'UTR
sequence): a table ``target_id, position, ref, alt`` (CSV/TSV, optional ``variant_id``), or a VCF whose
``CHROM`` is the transcript id and ``POS`` the 1-based position on it (several ``ALT`` alleles give one
variant each). ``ref`` must match the transcript there; indels follow the VCF convention (``ref`` and
``alt`` share their first base) or any replacement of ``ref`` by ``alt``.

Each miRNA is scored against the reference transcript and every alternative one through the one inference
path (:func:`rnaapp.mutagenesis.score_sequences`: one scan per miRNA for all of a target's alleles), so the
transcript score weighs every site as it does in a scan. Sites created or destroyed are the candidate sites
whose type differs, in reference coordinates.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from rnaapp.inference.options import InferenceOptions
from rnaapp.io import InputError
from rnaapp.mutagenesis.saturation import score_sequences
from rnaapp.mutagenesis.site_changes import site_changes, sites_by_anchor
from rnaapp.progress import Progress
from rnaapp.registry import TrainedModel

VARIANT_INPUT_COLUMNS = ("target_id", "position", "ref", "alt")
_ALLELE = re.compile(r"^[ACGUTN]*$")

#: Columns of :func:`variant_effects`' table, with their meaning.
VARIANT_COLUMNS = {
    "variant_id": "the variant's id (the file's, else target:position:ref>alt)",
    "target_id": "transcript the variant lies on",
    "position": "1-based position of the variant's first reference base on the transcript",
    "ref": "reference allele (RNA letters)",
    "alt": "alternative allele (empty for a deletion written without its anchor base)",
    "mirna_id": "miRNA",
    "ref_score": "score (graded log-odds) of the miRNA on the reference transcript",
    "alt_score": "score on the transcript carrying the variant",
    "delta": "alt_score minus ref_score (negative = the variant weakens the interaction)",
    "ref_probability": "calibrated probability on the reference transcript, at the prior",
    "alt_probability": "calibrated probability with the variant",
    "ref_best_site": "best site on the reference transcript: type at its 1-based start",
    "alt_best_site": "best site with the variant (start in reference coordinates)",
    "sites_created": "candidate sites of the miRNA the variant makes or strengthens (type at start)",
    "sites_destroyed": "candidate sites the variant removes or weakens (type before→after at start)",
}


def _normalised_allele(value: object, column: str, row: int, source: str) -> str:
    text = "" if pd.isna(value) else str(value).strip().upper().replace("T", "U")
    if text in {"-", "."}:
        text = ""
    if not _ALLELE.match(text.replace("U", "T")):
        raise InputError(
            f"{column} {value!r} is not a nucleotide allele (A, C, G, T/U, N)", source=source, row=row
        )
    return text


def _vcf_table(text: str, source: str) -> tuple[pd.DataFrame, list[int]]:
    rows, lines = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 5:
            raise InputError(
                "a VCF line needs at least CHROM, POS, ID, REF and ALT, separated by tabs",
                source=source,
                row=number,
            )
        chrom, pos, identifier, ref, alts = fields[:5]
        for alt in alts.split(","):
            rows.append(
                {
                    "target_id": chrom,
                    "position": pos,
                    "ref": ref,
                    "alt": alt,
                    "variant_id": "" if identifier in {"", "."} else identifier,
                }
            )
            lines.append(number)
    return pd.DataFrame(rows, columns=[*VARIANT_INPUT_COLUMNS, "variant_id"]), lines


def read_variants(source: str | Path | bytes, name: str | None = None) -> pd.DataFrame:
    """Read a variant table (CSV/TSV with ``target_id, position, ref, alt``) or a VCF.

    Parameters
    ----------
    source
        A path, or the file's bytes (an upload; then ``name`` says its file name).
    name
        File name for messages and for telling a VCF (``.vcf``, ``.vcf.gz``) from a table.

    Returns
    -------
    pandas.DataFrame
        ``variant_id, target_id, position`` (int, 1-based), ``ref``, ``alt`` (RNA letters), ``row`` (the
        file's row or line number, for messages).

    Raises
    ------
    rnaapp.io.InputError
        Naming the row: a missing column, a position that is not a whole number >= 1, an allele that is not
        nucleotides, an empty ref.
    """
    from rnaapp.io.bounded import gunzip_capped, read_regular_file

    if isinstance(source, bytes):
        data, label = source, name or "<upload>"
    else:
        label = name or Path(source).name
        data = read_regular_file(source, source=label)
    if data[:2] == b"\x1f\x8b":
        data = gunzip_capped(data, source=label)
    text = data.decode("utf-8", errors="replace")
    is_vcf = label.lower().endswith((".vcf", ".vcf.gz")) or text.startswith("##fileformat=VCF")
    if is_vcf:
        table, rows = _vcf_table(text, label)
    else:
        separator = (
            "\t" if label.lower().endswith((".tsv", ".txt")) or "\t" in text.split("\n", 1)[0] else ","
        )
        table = pd.read_csv(io.StringIO(text), sep=separator, dtype=str, keep_default_na=False)
        table.columns = [str(column).strip().lower() for column in table.columns]
        missing = [column for column in VARIANT_INPUT_COLUMNS if column not in table.columns]
        if missing:
            raise InputError(
                f"the variant table needs the columns {', '.join(VARIANT_INPUT_COLUMNS)} (or give a VCF); "
                f"missing: {', '.join(missing)}",
                source=label,
            )
        rows = [index + 2 for index in range(len(table))]  # the header is line 1
        if "variant_id" not in table:
            table["variant_id"] = ""
    if table.empty:
        raise InputError("the variant file holds no variant", source=label)
    positions = []
    for row, value in zip(rows, table["position"], strict=True):
        text_value = str(value).strip()
        if not text_value.isdigit() or int(text_value) < 1:
            raise InputError(f"position {value!r} is not a whole number >= 1", source=label, row=row)
        positions.append(int(text_value))
    refs = [
        _normalised_allele(value, "ref", row, label) for row, value in zip(rows, table["ref"], strict=True)
    ]
    alts = [
        _normalised_allele(value, "alt", row, label) for row, value in zip(rows, table["alt"], strict=True)
    ]
    for row, ref, alt in zip(rows, refs, alts, strict=True):
        if not ref:
            raise InputError(
                "ref is empty: give the reference base(s) at the position", source=label, row=row
            )
        if ref == alt:
            raise InputError(f"ref and alt are both {ref!r}: that is no variant", source=label, row=row)
    targets = [str(value).strip() for value in table["target_id"]]
    for row, target in zip(rows, targets, strict=True):
        if not target:
            raise InputError("target_id is empty", source=label, row=row)
    identifiers = [
        str(identifier).strip() or f"{target}:{position}:{ref}>{alt or '-'}"
        for identifier, target, position, ref, alt in zip(
            table["variant_id"], targets, positions, refs, alts, strict=True
        )
    ]
    return pd.DataFrame(
        {
            "variant_id": identifiers,
            "target_id": targets,
            "position": positions,
            "ref": refs,
            "alt": alts,
            "row": rows,
        }
    )


def _checked_alleles(variants: pd.DataFrame, targets: Mapping[str, str], source: str) -> None:
    """Every variant's target is known and its ``ref`` matches the sequence (else the row is named)."""
    for variant in variants.itertuples(index=False):
        sequence = targets.get(variant.target_id)
        if sequence is None:
            known = ", ".join(list(targets)[:3]) + (", ..." if len(targets) > 3 else "")
            raise InputError(
                f"target {variant.target_id!r} is not among the transcripts ({known})",
                source=source,
                row=variant.row,
            )
        start = variant.position - 1
        found = sequence[start : start + len(variant.ref)]
        if found != variant.ref:
            where = (
                f"position {variant.position} is past its end ({len(sequence):,} nt)"
                if start >= len(sequence)
                else f"the transcript has {found!r} at {variant.position}"
            )
            raise InputError(
                f"ref {variant.ref!r} does not match {variant.target_id}: {where}",
                source=source,
                row=variant.row,
            )


def apply_variant(sequence: str, position: int, ref: str, alt: str) -> str:
    """``sequence`` with ``ref`` at 1-based ``position`` replaced by ``alt``."""
    start = position - 1
    return sequence[:start] + alt + sequence[start + len(ref) :]


def _to_reference(position: int, ref: str, alt: str):
    """Map 0-based positions of the variant sequence back to the reference (None inside an insertion)."""
    start = position - 1
    kept = start + min(len(ref), len(alt))  # substituted bases keep their coordinates
    inserted_end = start + len(alt)
    shift = len(ref) - len(alt)

    def mapped(alt_position: int) -> int | None:
        if alt_position < kept:
            return alt_position
        if alt_position >= inserted_end:
            return alt_position + shift
        return None

    return mapped


def _best_site(row: pd.Series, offset_map=None) -> str:
    if row["best_site_type"] in ("", "none") or pd.isna(row["best_site_start"]):
        return "none"
    start = int(row["best_site_start"])
    if offset_map is not None:
        mapped = offset_map(start - 1)
        start = start if mapped is None else mapped + 1
    return f"{row['best_site_type']} at {start}"


def variant_effects(
    model: TrainedModel,
    mirnas: Sequence[tuple[str, str]],
    targets: Mapping[str, str],
    variants: pd.DataFrame,
    options: InferenceOptions | None = None,
    *,
    prior: float | None = None,
    progress: Progress | None = None,
    source: str = "<variants>",
) -> pd.DataFrame:
    """Score each miRNA on each variant's reference and alternative transcript.

    Parameters
    ----------
    model
        A site or plant model.
    mirnas
        ``(name, sequence)`` of each miRNA.
    targets
        Transcript id -> sequence (normalised RNA); every variant's ``target_id`` must be here.
    variants
        As :func:`read_variants` gives them.
    options
        How the model runs.
    prior
        Share of true interactions assumed, for the probabilities.
    progress
        Called as ``progress(pairs_done, pairs_total)``.
    source
        Name of the variant file, for messages.

    Returns
    -------
    pandas.DataFrame, shape (n_variants * n_mirnas, 15)
        :data:`VARIANT_COLUMNS`, variants in input order, then miRNAs.

    Raises
    ------
    rnaapp.io.InputError
        Naming the row: an unknown target, a ``ref`` that does not match the transcript.
    """
    if "row" not in variants:
        variants = variants.assign(row=range(1, len(variants) + 1))
    _checked_alleles(variants, targets, source)
    used_targets = list(dict.fromkeys(variants["target_id"]))
    alleles = [targets[target] for target in used_targets] + [
        apply_variant(targets[variant.target_id], variant.position, variant.ref, variant.alt)
        for variant in variants.itertuples(index=False)
    ]
    pair_mirnas = [sequence for _, sequence in mirnas for _ in alleles]
    pair_targets = [allele for _ in mirnas for allele in alleles]
    scored = score_sequences(model, pair_mirnas, pair_targets, options, prior=prior, progress=progress)
    per_mirna = len(alleles)
    reference_index = {target: index for index, target in enumerate(used_targets)}
    rows = []
    for mirna_index, (mirna_id, mirna) in enumerate(mirnas):
        base = mirna_index * per_mirna
        reference_sites = {target: sites_by_anchor(mirna, targets[target]) for target in used_targets}
        for variant_index, variant in enumerate(variants.itertuples(index=False)):
            reference = scored.iloc[base + reference_index[variant.target_id]]
            alternative = scored.iloc[base + len(used_targets) + variant_index]
            mapping = _to_reference(variant.position, variant.ref, variant.alt)
            alt_sequence = alleles[len(used_targets) + variant_index]
            changes = site_changes(
                reference_sites[variant.target_id], sites_by_anchor(mirna, alt_sequence), mapping
            )
            created = [change.text() for change in changes if change.kind in {"made", "stronger"}]
            destroyed = [change.text() for change in changes if change.kind in {"lost", "weaker"}]
            rows.append(
                {
                    "variant_id": variant.variant_id,
                    "target_id": variant.target_id,
                    "position": variant.position,
                    "ref": variant.ref,
                    "alt": variant.alt,
                    "mirna_id": mirna_id,
                    "ref_score": float(reference["score"]),
                    "alt_score": float(alternative["score"]),
                    "delta": float(alternative["score"]) - float(reference["score"]),
                    "ref_probability": float(reference["probability"]),
                    "alt_probability": float(alternative["probability"]),
                    "ref_best_site": _best_site(reference),
                    "alt_best_site": _best_site(alternative, mapping),
                    "sites_created": "; ".join(created),
                    "sites_destroyed": "; ".join(destroyed),
                }
            )
    return pd.DataFrame(rows, columns=list(VARIANT_COLUMNS))
