"""Scan sites in the formats other pipelines read: BED6, GFF3, and an IntaRNA-like CSV of hybrids.

Coordinates. A site table (:data:`rnaapp.scan.SITE_COLUMNS`) gives each seed match's ``start`` and ``end``
1-based and inclusive on its transcript. BED is 0-based and half-open, GFF3 1-based and inclusive. A
target whose id names a genomic region, ``chrom:start-end:strand`` or ``chrom:start-end(strand)`` (1-based,
inclusive, as CLASH fragments and UCSC/Ensembl regions are written, e.g. ``13:103634174-103634223:-``), is a
contiguous stretch of that chromosome read 5'->3' on that strand, so its sites get genomic coordinates
(on the minus strand, transcript position 1 is the region's end). Other targets (a 3'UTR id such as
``ENSG…|ENST…|TP53``) are written in transcript coordinates: chromosome = target id, strand ``+``.
A spliced transcript cannot be one region: give genomic coordinates only for contiguous stretches.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

import numpy as np
import pandas as pd

_REGION = re.compile(
    r"^(?P<chrom>[^\s:]+):(?P<start>\d+)-(?P<end>\d+)(?::(?P<strand>[+-])|\((?P<paren>[+-])\))?$"
)

BED_COLUMNS = ("chrom", "chromStart", "chromEnd", "name", "score", "strand")
INTARNA_COLUMNS = ("id1", "start1", "end1", "id2", "start2", "end2", "subseqDP", "hybridDP", "E")


@dataclass(frozen=True)
class GenomicRegion:
    """A contiguous genomic stretch named by a target id (1-based, inclusive)."""

    chrom: str
    start: int
    end: int
    strand: str

    def to_genome(self, start: int, end: int) -> tuple[int, int]:
        """BED (0-based, half-open) genomic span of transcript positions ``start..end`` (1-based, inclusive)."""
        if self.strand == "-":
            return self.end - end, self.end - start + 1
        return self.start + start - 2, self.start + end - 1

    def to_transcript(self, chrom_start: int, chrom_end: int) -> tuple[int, int]:
        """Inverse of :meth:`to_genome`: transcript ``start, end`` (1-based, inclusive)."""
        if self.strand == "-":
            return self.end - chrom_end + 1, self.end - chrom_start
        return chrom_start - self.start + 2, chrom_end - self.start + 1


def genomic_region(target_id: str) -> GenomicRegion | None:
    """The genomic region a target id names (module docstring), or None. A region without a strand is ``+``."""
    match = _REGION.match(str(target_id).strip())
    if match is None or int(match["start"]) > int(match["end"]):
        return None
    return GenomicRegion(
        match["chrom"], int(match["start"]), int(match["end"]), match["strand"] or match["paren"] or "+"
    )


def _bed_score(probability: pd.Series) -> np.ndarray:
    values = pd.to_numeric(probability, errors="coerce").fillna(0.0).to_numpy(dtype=float)
    return np.clip(np.rint(values * 1000), 0, 1000).astype(int)


def sites_bed(sites: pd.DataFrame, *, genomic: bool = True) -> pd.DataFrame:
    """BED6 rows of a site table: one per site.

    Parameters
    ----------
    sites
        A scan's site table (``mirna_id``, ``target_id``, ``site_type``, ``start``, ``end``,
        ``probability``).
    genomic
        Write genomic coordinates for targets whose id names a region (module docstring); False keeps
        transcript coordinates for all.

    Returns
    -------
    pandas.DataFrame
        :data:`BED_COLUMNS`: ``name`` is ``miRNA|site_type``, ``score`` the site's probability x 1000
        (0-1000, rounded), ``chromStart`` 0-based and ``chromEnd`` exclusive.
    """
    rows = []
    for site in sites.itertuples(index=False):
        start, end = int(site.start), int(site.end)
        region = genomic_region(site.target_id) if genomic else None
        if region is None:
            chrom, chrom_start, chrom_end, strand = str(site.target_id), start - 1, end, "+"
        else:
            (chrom_start, chrom_end), chrom, strand = (
                region.to_genome(start, end),
                region.chrom,
                region.strand,
            )
        rows.append((chrom, chrom_start, chrom_end, f"{site.mirna_id}|{site.site_type}", strand))
    table = pd.DataFrame(rows, columns=["chrom", "chromStart", "chromEnd", "name", "strand"])
    table.insert(4, "score", _bed_score(sites["probability"]) if len(sites) else pd.Series(dtype=int))
    return table[list(BED_COLUMNS)]


def bed_text(sites: pd.DataFrame, *, genomic: bool = True) -> str:
    """:func:`sites_bed` as BED6 text (tab-separated, no header)."""
    table = sites_bed(sites, genomic=genomic)
    return "".join("\t".join(map(str, row)) + "\n" for row in table.itertuples(index=False))


def _gff_value(value: object) -> str:
    """A GFF3 attribute value, with the reserved characters (``;=&,`` tab, newline, %) percent-encoded."""
    return quote(str(value), safe=" :|.+-_/()@>")


def gff3_text(sites: pd.DataFrame, *, genomic: bool = True) -> str:
    """A site table as GFF3: one ``miRNA_target_site`` (SO:0000934) feature per site, 1-based inclusive.

    ``score`` is the site's probability; the attributes hold the miRNA, site type, log-odds, energy and,
    for genomic coordinates, the target id the site was found on.
    """
    lines = ["##gff-version 3"]
    bed = sites_bed(sites, genomic=genomic)
    for number, (site, feature) in enumerate(
        zip(sites.itertuples(index=False), bed.itertuples(index=False), strict=True), start=1
    ):
        attributes = {
            "ID": f"site{number}",
            "Name": f"{site.mirna_id}|{site.site_type}",
            "mirna": site.mirna_id,
            "site_type": site.site_type,
            "target": site.target_id,
        }
        for column in ("log_odds", "energy"):
            value = getattr(site, column, None)
            if value is not None and not pd.isna(value):
                attributes[column] = f"{float(value):.4g}"
        probability = pd.to_numeric(pd.Series([site.probability]), errors="coerce").iloc[0]
        lines.append(
            "\t".join(
                [
                    feature.chrom,
                    "rnaapp",
                    "miRNA_target_site",
                    str(feature.chromStart + 1),
                    str(feature.chromEnd),
                    "." if pd.isna(probability) else f"{probability:.4g}",
                    feature.strand,
                    ".",
                    ";".join(f"{key}={_gff_value(value)}" for key, value in attributes.items()),
                ]
            )
        )
    return "\n".join(lines) + "\n"


def sites_intarna(sites: pd.DataFrame, mirnas: Mapping[str, str]) -> pd.DataFrame:
    """IntaRNA-like CSV rows of a site table: each site's ViennaRNA duplex with both sequences' positions.

    As IntaRNA's ``--outMode C`` (default columns): ``id1`` the target, ``start1``/``end1`` the hybrid's span
    on it (1-based, inclusive, transcript coordinates), ``id2`` the miRNA, ``start2``/``end2`` its span,
    ``subseqDP`` the two paired stretches (``target&miRNA``), ``hybridDP`` the hybrid in dot-bracket
    (``(`` on the target, ``)`` on the miRNA, both 5'->3'), ``E`` the duplex energy (kcal/mol) of the miRNA
    with the site's scored window (:func:`rnaapp.structure.hybridize`, RNAduplex model).

    Parameters
    ----------
    sites
        A scan's site table (``window`` and ``window_start`` give the region hybridised).
    mirnas
        miRNA id -> sequence, for every ``mirna_id`` of ``sites``.
    """
    from rnaapp.structure import hybridize

    rows = []
    for site in sites.itertuples(index=False):
        mirna = mirnas[site.mirna_id]
        window = str(site.window)
        hybrid = hybridize(mirna, window)
        offset = int(site.window_start) - 1
        if not hybrid.pairs:
            rows.append((site.target_id, pd.NA, pd.NA, site.mirna_id, pd.NA, pd.NA, "", "", 0.0))
            continue
        mirna_positions = [position for position, _ in hybrid.pairs]
        target_positions = [position for _, position in hybrid.pairs]
        target_first, target_last = min(target_positions), max(target_positions)
        mirna_first, mirna_last = min(mirna_positions), max(mirna_positions)
        target_paired, mirna_paired = set(target_positions), set(mirna_positions)
        target_part = "".join(
            "(" if p in target_paired else "." for p in range(target_first, target_last + 1)
        )
        mirna_part = "".join(")" if p in mirna_paired else "." for p in range(mirna_first, mirna_last + 1))
        rows.append(
            (
                site.target_id,
                offset + target_first,
                offset + target_last,
                site.mirna_id,
                mirna_first,
                mirna_last,
                f"{window[target_first - 1 : target_last]}&{mirna[mirna_first - 1 : mirna_last]}",
                f"{target_part}&{mirna_part}",
                hybrid.energy,
            )
        )
    return pd.DataFrame(rows, columns=list(INTARNA_COLUMNS))
