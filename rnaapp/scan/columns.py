"""The tables a scan produces: pair and site columns (with their meaning), and the result container."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from rnaapp.io.fasta import TargetHeader, parse_target_header
from rnaapp.scan.plant import PLANT_EXPECTATION_CUTOFF, PLANT_SITE_FLANK, PLANT_STRICT_EXPECTATION

SITE_COLUMNS = {
    "mirna_id": "miRNA name",
    "target_id": "transcript name (the first word of its FASTA header)",
    "gene_symbol": "gene symbol the target's FASTA header gives besides its id (``>ENSG…|ENST…|TP53``, "
    "GENCODE or Ensembl headers; see rnaapp.io.parse_target_header); empty when the header names none",
    "transcript_id": "Ensembl (ENST…) or RefSeq (NM_…) transcript id the target's header gives; empty when "
    "it gives none",
    "site_rank": "rank of the site within its (miRNA, transcript) pair, 1 = highest probability (plant "
    "models: lowest expectation)",
    "probability": "calibrated probability that the 40-nt window around the site is a functional target "
    "site, at the scan's prior (default 0.5; plant models: of the whole transcript, the same for every site "
    "of the pair)",
    "log_odds": "the site model's own log-odds (logit) for the window: graded, never rounded through a "
    "saturated sigmoid (plant models: of the whole transcript)",
    "contribution": "the site's share of the pair's score (0-1; the pair's sites sum to 1 over all its "
    "candidate sites, not only the ones listed); empty for plant models",
    "site_type": "seed match: 8mer, 7mer-m8, 7mer-A1, 6mer, offset-6mer, or non-canonical (one G:U or "
    "mismatch at miRNA positions 3-7); plant for a plant model's complementary site",
    "seed_pairing": "how miRNA positions 2-8 pair with the site (Watson-Crick unless named); plant sites: "
    "how the whole miRNA pairs (Watson-Crick, G:U and mismatched positions)",
    "start": "first transcript nucleotide of the seed match, or of a plant site (1-based)",
    "end": "last transcript nucleotide of the seed match, or of a plant site (1-based, inclusive)",
    "energy": "ViennaRNA duplex free energy of the miRNA with the window, kcal/mol (lower = more stable)",
    "expectation": "plant sites: psRNATarget-style expectation of the ungapped miRNA-site pairing (0 = "
    "perfect complement; each G:U costs 0.5 and each mismatch 1, 1.5 times at miRNA positions 2-13); "
    "empty for seed sites",
    "window_start": "first transcript nucleotide of the scored window (1-based); plant sites: of the site "
    f"and {PLANT_SITE_FLANK} nt on each side",
    "window": "the scored window, 5'->3' (plant sites: the site and its flanks, the region of `energy`; "
    "the model scored the whole transcript)",
}


PAIR_COLUMNS = {
    "mirna_id": "miRNA name",
    "target_id": "transcript name (the first word of its FASTA header)",
    "gene_symbol": "gene symbol the target's FASTA header gives besides its id (``>ENSG…|ENST…|TP53``, "
    "GENCODE or Ensembl headers; see rnaapp.io.parse_target_header); empty when the header names none",
    "transcript_id": "Ensembl (ENST…) or RefSeq (NM_…) transcript id the target's header gives; empty when "
    "it gives none",
    "score": "ranking score: the pair's log-odds (higher = stronger) from the summed odds of every candidate "
    "site, each site's model log-odds adjusted for its seed-match type, and the transcript length; more and "
    "better sites give a higher score, and it never saturates (plant models: the model's calibrated "
    "log-odds of the whole transcript)",
    "probability": "calibrated probability that the miRNA targets the transcript, from the score and the "
    "transcript length, at the scan's prior (default 0.5, the balance of the data it was fitted on)",
    "percentile": "where the score falls among the same miRNA's scores on the background 3'UTRs the package "
    "ships (100 = above all of them), as TargetScan's context++ score percentile; empty when not computed",
    "best_site_type": "seed match type of the site that contributes most to the score (plant models: plant, "
    "the site of lowest expectation)",
    "best_site_start": "position of that site's seed match on the transcript (1-based; plant models: of the "
    "site)",
    "best_site_energy": "ViennaRNA duplex free energy of that site's window (kcal/mol)",
    "best_site_log_odds": "the highest site log-odds of the pair (the max-of-sites score, kept for "
    "comparison)",
    "best_site_expectation": "plant models: expectation of the best complementary site (0 = perfect "
    "complement; see `expectation`); empty for site models",
    "n_sites": "candidate sites scored on the transcript (canonical and non-canonical); plant models: "
    f"windows of expectation <= {PLANT_EXPECTATION_CUTOFF:g} (psRNATarget's default cutoff)",
    "n_canonical": "canonical seed sites among them; plant models: windows of expectation <= "
    f"{PLANT_STRICT_EXPECTATION:g} (psRNATarget's strict cutoff)",
    "n_8mer": "8mer sites among the candidate sites",
    "n_7mer_m8": "7mer-m8 sites",
    "n_7mer_a1": "7mer-A1 sites",
    "n_6mer": "6mer sites",
    "n_offset_6mer": "offset-6mer sites",
    "n_noncanonical": "non-canonical seed matches (one G:U or mismatch at miRNA positions 3-7)",
    "driving_sites": "the sites that drive the score: type@position (share of the score), every site with "
    "at least 20 % of it and at least the top one",
    "target_length": "transcript length (nt)",
}


class ScanCancelled(RuntimeError):
    """Raised by :func:`scan` when its ``should_stop`` callback returns True."""


@dataclass
class ScanResult:
    """What :func:`scan` returns.

    Attributes
    ----------
    pairs
        One row per (miRNA, transcript) pair, ranked by ``probability`` (see :data:`PAIR_COLUMNS`).
    sites
        The best ``sites_per_pair`` sites of every pair (see :data:`SITE_COLUMNS`).
    """

    pairs: pd.DataFrame
    sites: pd.DataFrame


def _empty_frame(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({column: pd.Series(dtype=object) for column in columns})


def concat_results(results: Sequence[ScanResult]) -> ScanResult:
    """One :class:`ScanResult` of several (pairs and sites concatenated in order; empty tables for none)."""
    if not results:
        return ScanResult(pairs=_empty_frame(PAIR_COLUMNS), sites=_empty_frame(SITE_COLUMNS))
    pairs = [result.pairs for result in results if len(result.pairs)]
    sites = [result.sites for result in results if len(result.sites)]
    return ScanResult(
        pairs=pd.concat(pairs, ignore_index=True) if pairs else _empty_frame(PAIR_COLUMNS),
        sites=pd.concat(sites, ignore_index=True) if sites else _empty_frame(SITE_COLUMNS),
    )


#: Pair-table count column of each seed-site type.
SITE_COUNT_COLUMNS = {
    "8mer": "n_8mer",
    "7mer-m8": "n_7mer_m8",
    "7mer-A1": "n_7mer_a1",
    "6mer": "n_6mer",
    "offset-6mer": "n_offset_6mer",
    "non-canonical": "n_noncanonical",
}


def site_type_counts(site_types: Iterable[str]) -> dict[str, int]:
    """Counts of the pair-table columns of :data:`SITE_COUNT_COLUMNS` (other types, tiles, not counted)."""
    counts = dict.fromkeys(SITE_COUNT_COLUMNS.values(), 0)
    for site_type in site_types:
        column = SITE_COUNT_COLUMNS.get(site_type)
        if column is not None:
            counts[column] += 1
    return counts


#: Columns that name a target's gene, from its header (:func:`target_gene_columns`).
TARGET_GENE_COLUMNS = ("gene_symbol", "transcript_id")


@lru_cache(maxsize=65_536)
def target_gene_columns(target_id: str) -> dict[str, str]:
    """``gene_symbol`` and ``transcript_id`` of a target from its id (:func:`rnaapp.io.parse_target_header`).

    A target id is the first word of its FASTA header, so ``ENSG…|ENST…|TP53`` gives both; a symbol in
    the rest of the header reaches the tables through ``target_headers`` of :func:`rnaapp.scan.scan_batches`.
    """
    return header_gene_columns(parse_target_header(target_id))


def header_gene_columns(header: TargetHeader) -> dict[str, str]:
    """The :data:`TARGET_GENE_COLUMNS` values of a parsed header."""
    return {"gene_symbol": header.gene_symbol, "transcript_id": header.transcript_id}


def label_targets(result: ScanResult, headers: Mapping[str, TargetHeader] | None) -> ScanResult:
    """``result`` with the gene columns of the targets in ``headers`` taken from their whole headers.

    For headers whose rest (after the id) names the symbol or transcript (``>utr_7 TP53``,
    ``>ENST… gene_symbol:TP53``); ``headers`` maps target id -> :func:`rnaapp.io.parse_target_header` of
    the whole header. Other targets keep the columns their id gives. Changes the frames in place.
    """
    if not headers:
        return result
    for frame in (result.pairs, result.sites):
        if not len(frame) or "target_id" not in frame:
            continue
        known = frame["target_id"].map(headers)
        rows = known.notna()
        if rows.any():
            for column in TARGET_GENE_COLUMNS:
                values = known[rows].map(lambda header, column=column: getattr(header, column))
                frame.loc[rows, column] = values.where(values != "", frame.loc[rows, column])
    return result


def _unscored_pair(
    mirna_id: str, target_id: str, target_length: int, n_sites: int, n_canonical: int
) -> dict[str, Any]:
    """A pair-table row before scoring: score -inf, probability 0 and no best site until scored."""
    return {
        "mirna_id": mirna_id,
        "target_id": target_id,
        **target_gene_columns(target_id),
        "score": -np.inf,
        "probability": 0.0,
        "percentile": np.nan,
        "best_site_type": "none",
        "best_site_start": pd.NA,
        "best_site_energy": np.nan,
        "best_site_expectation": np.nan,
        "best_site_log_odds": np.nan,
        "n_sites": n_sites,
        "n_canonical": n_canonical,
        **dict.fromkeys(SITE_COUNT_COLUMNS.values(), 0),
        "driving_sites": "",
        "target_length": target_length,
    }
