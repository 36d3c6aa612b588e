"""Which bases make an interaction, and what a mutation does: mutagenesis, mutant design, variant effects.

- :func:`saturation_mutagenesis`: every single-nucleotide substitution of a pair's target (or miRNA),
  scored through the one inference path, with the sites each makes or breaks.
- :func:`design_seed_mutants`: the fewest substitutions (1-3) that abolish a predicted interaction, as a
  seed-mutant reporter control.
- :func:`variant_effects`: a table of variants on transcripts x miRNAs -> reference and alternative scores.
"""

from rnaapp.mutagenesis.design import DESIGN_COLUMNS, MutantDesigns, design_seed_mutants
from rnaapp.mutagenesis.saturation import (
    MUTAGENESIS_COLUMNS,
    NUCLEOTIDES,
    Mutagenesis,
    saturation_mutagenesis,
    score_sequences,
    single_substitutions,
)
from rnaapp.mutagenesis.site_changes import SiteChange, describe_changes, site_changes, sites_by_anchor
from rnaapp.mutagenesis.variants import VARIANT_COLUMNS, apply_variant, read_variants, variant_effects

__all__ = [
    "DESIGN_COLUMNS",
    "MutantDesigns",
    "design_seed_mutants",
    "MUTAGENESIS_COLUMNS",
    "NUCLEOTIDES",
    "VARIANT_COLUMNS",
    "Mutagenesis",
    "SiteChange",
    "apply_variant",
    "describe_changes",
    "read_variants",
    "saturation_mutagenesis",
    "score_sequences",
    "single_substitutions",
    "site_changes",
    "sites_by_anchor",
    "variant_effects",
]
