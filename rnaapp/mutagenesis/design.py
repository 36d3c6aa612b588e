"""Design a seed-mutant reporter control: the fewest substitutions that abolish a predicted interaction.

The classic control of a luciferase assay mutates the target's seed match so that the miRNA no longer
binds there. A design here is a set of 1 to ``max_substitutions`` substitutions of the target that

1. leaves no canonical seed site (8mer ... offset-6mer) of the miRNA anywhere on the target,
2. changes no other site's type: no canonical site of the ``other_mirnas`` (default: the package's
   built-in human miRNAs) is made, lost or retyped, so the control does not gain or lose another miRNA's
   site,
3. brings the model's probability (at the prior) below ``threshold`` (default 0.5): the interaction is
   abolished by the model's own reading, not only by the site rule.

Substitutions are tried only inside the miRNA's canonical sites (their seed-match nucleotides, the A1
included), each set of ``k`` positions hitting every site; ``k`` grows from 1 until some set passes 1-2,
and those sets are scored in one batch through the one inference path. Designs that pass all three are
returned lowest score first; when none at the smallest ``k`` passes 3, ``k`` grows (up to
``max_substitutions``), and if still none does, the lowest-scoring sets of any size that pass 1-2 are
returned with ``abolished`` False, so the user sees how close they come (a target paired along the whole
miRNA, siRNA-like, can keep a high score without any seed match).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rnaapp.inference.options import InferenceOptions
from rnaapp.io import InputError
from rnaapp.mutagenesis.saturation import NUCLEOTIDES, score_sequences
from rnaapp.mutagenesis.site_changes import (
    canonical_sites,
    describe_changes,
    site_changes,
    site_window,
    sites_by_anchor,
)
from rnaapp.registry import TrainedModel

#: Most candidate mutants scored per number of substitutions (the sets that pass the site rules first).
MAX_SCORED = 2000

#: Columns of the designs table, with their meaning.
DESIGN_COLUMNS = {
    "design": "rank of the design (1 = lowest mutant score among the fewest substitutions)",
    "substitutions": "the substitutions, ref+position+alt, 1-based on the target (e.g. 'C19G,A20U')",
    "n_substitutions": "how many nucleotides change",
    "score": "the mutant's score (graded log-odds)",
    "probability": "the mutant's calibrated probability at the prior",
    "delta": "mutant score minus reference score",
    "abolished": "whether the mutant's probability is below the threshold (default 0.5) and no canonical "
    "site of the miRNA is left",
    "energy": "ViennaRNA duplex free energy (kcal/mol) of the miRNA with the 40-nt window around the "
    "reference's best site, in the mutant",
    "delta_energy": "that energy minus the reference's",
    "site_change": "the miRNA's sites the design loses or retypes",
    "sites_left": "the miRNA's candidate sites left on the mutant (non-canonical seed matches only, by rule 1)",
    "mutant": "the mutant target, 5'->3'",
}


@dataclass(frozen=True)
class MutantDesigns:
    """Seed-mutant designs for one pair.

    Attributes
    ----------
    model
        Name of the model that judged the mutants.
    reference
        The reference pair's ``score`` and ``probability``.
    table : pandas.DataFrame, shape (n_designs, 12)
        :data:`DESIGN_COLUMNS`, best first; empty when no set passes the site rules.
    note
        What was found, in words (e.g. why there is no design).
    """

    model: str
    reference: dict
    table: pd.DataFrame
    note: str


def _site_positions(sites: dict) -> list[set[int]]:
    """Target positions (0-based) of each canonical site, A1 included."""
    return [set(range(site.start, site.end)) for site in sites.values()]


def _canonical_of(mirnas: Sequence[tuple[str, str]], target: str) -> dict[str, dict[int, str]]:
    return {
        name: {
            anchor: site.site_type
            for anchor, site in sites_by_anchor(mirna, target, noncanonical=False).items()
        }
        for name, mirna in mirnas
    }


def _default_other_mirnas(mirna: str) -> list[tuple[str, str]]:
    from rnaapp.examples import EXAMPLE_MIRNAS

    return [(name, sequence) for name, sequence in EXAMPLE_MIRNAS.items() if sequence != mirna]


def design_seed_mutants(
    model: TrainedModel,
    mirna: str,
    target: str,
    options: InferenceOptions | None = None,
    *,
    max_substitutions: int = 3,
    other_mirnas: Sequence[tuple[str, str]] | None = None,
    threshold: float = 0.5,
    prior: float | None = None,
    designs: int = 5,
) -> MutantDesigns:
    """The fewest substitutions (1 to ``max_substitutions``) that abolish the interaction (module docstring).

    Parameters
    ----------
    model
        A site or plant model.
    mirna, target
        The pair, normalised RNA 5'->3'.
    options
        How the model runs.
    max_substitutions
        Most nucleotides a design changes (1-3).
    other_mirnas
        ``(name, sequence)`` of the miRNAs whose canonical sites must not change (default: the package's
        built-in human miRNAs other than this one); ``[]`` checks none.
    threshold
        Probability (at ``prior``) below which the interaction counts as abolished.
    prior
        Share of true interactions assumed (default: the model's fitted prior).
    designs
        Designs listed at most.

    Returns
    -------
    MutantDesigns
    """
    if not 1 <= max_substitutions <= 3:
        raise InputError(f"a design changes 1 to 3 nucleotides, not {max_substitutions}")
    reference = score_sequences(model, [mirna], [target], options, prior=prior).iloc[0]
    reference_info = {"score": float(reference["score"]), "probability": float(reference["probability"])}
    own_sites = sites_by_anchor(mirna, target)
    own_canonical = canonical_sites(own_sites)
    empty = pd.DataFrame({column: pd.Series(dtype=object) for column in DESIGN_COLUMNS})
    if not own_canonical:
        return MutantDesigns(
            model.name,
            reference_info,
            empty,
            "the target holds no canonical seed site of this miRNA: there is no seed match to mutate",
        )
    if len(own_canonical) > max_substitutions:
        return MutantDesigns(
            model.name,
            reference_info,
            empty,
            f"the target holds {len(own_canonical)} canonical sites of this miRNA: abolishing them all needs "
            f"more than {max_substitutions} substitutions (mutate a shorter region holding fewer sites)",
        )
    others = _default_other_mirnas(mirna) if other_mirnas is None else list(other_mirnas)
    others_before = _canonical_of(others, target)
    site_spans = _site_positions(own_canonical)
    positions = sorted(set().union(*site_spans))
    best_anchor = max(own_canonical.values(), key=lambda site: (site.end - site.start, -site.start)).anchor
    window_start, window_end = site_window(best_anchor, len(target))
    from rnaapp.structure import hybridize

    reference_energy = hybridize(mirna, target[window_start:window_end]).energy
    fallback: pd.DataFrame | None = None
    tried = 0
    for k in range(1, max_substitutions + 1):
        candidates: list[tuple[tuple[tuple[int, str], ...], str]] = []
        for chosen in itertools.combinations(positions, k):
            if not all(span & set(chosen) for span in site_spans):
                continue  # every site must be hit
            choices = [[alt for alt in NUCLEOTIDES if alt != target[position]] for position in chosen]
            for alts in itertools.product(*choices):
                mutant = list(target)
                for position, alt in zip(chosen, alts, strict=True):
                    mutant[position] = alt
                mutant_text = "".join(mutant)
                if sites_by_anchor(mirna, mutant_text, noncanonical=False):
                    continue  # rule 1
                if _canonical_of(others, mutant_text) != others_before:
                    continue  # rule 2
                candidates.append((tuple(zip(chosen, alts, strict=True)), mutant_text))
                if len(candidates) >= MAX_SCORED:
                    break
            if len(candidates) >= MAX_SCORED:
                break
        if not candidates:
            continue
        tried += len(candidates)
        scored = score_sequences(
            model, [mirna] * len(candidates), [mutant for _, mutant in candidates], options, prior=prior
        )
        table = pd.DataFrame(
            {
                "substitutions": [
                    ",".join(f"{target[position]}{position + 1}{alt}" for position, alt in changes)
                    for changes, _ in candidates
                ],
                "n_substitutions": k,
                "score": scored["score"].to_numpy(dtype=float),
                "probability": scored["probability"].to_numpy(dtype=float),
                "mutant": [mutant for _, mutant in candidates],
            }
        )
        table["delta"] = table["score"] - reference_info["score"]
        table["abolished"] = table["probability"] < threshold
        table = table.sort_values(["score", "substitutions"], kind="stable").reset_index(drop=True)
        passing = table[table["abolished"]]
        if len(passing):
            chosen = passing.head(designs)
            note = (
                f"{len(passing)} of {len(table)} sets of {k} substitution(s) that leave no canonical "
                f"site abolish the interaction (probability < {threshold:g}); the lowest-scoring are listed"
            )
            break
        fallback = table if fallback is None else pd.concat([fallback, table], ignore_index=True)
    else:
        if fallback is None:
            return MutantDesigns(
                model.name,
                reference_info,
                empty,
                f"no set of up to {max_substitutions} substitutions removes every canonical site without "
                "changing another miRNA's site",
            )
        chosen = fallback.sort_values(["score", "n_substitutions", "substitutions"], kind="stable").head(
            designs
        )
        note = (
            f"no set of up to {max_substitutions} substitutions brings the probability below "
            f"{threshold:g} ({tried} scored); the lowest-scoring sets that leave no canonical site are "
            "listed (abolished = False)"
        )
    table = _described(chosen, mirna, own_sites, (window_start, window_end), reference_energy)
    return MutantDesigns(model.name, reference_info, table, note)


def _described(
    table: pd.DataFrame,
    mirna: str,
    own_sites: dict,
    window: tuple[int, int],
    reference_energy: float,
) -> pd.DataFrame:
    """The chosen designs with their duplex energy, site changes and sites left (:data:`DESIGN_COLUMNS`)."""
    from rnaapp.structure import hybridize

    table = table.reset_index(drop=True).copy()
    energies = [hybridize(mirna, mutant[window[0] : window[1]]).energy for mutant in table["mutant"]]
    table["energy"] = energies
    table["delta_energy"] = np.asarray(energies) - reference_energy
    table["site_change"] = [
        describe_changes(
            site_changes(canonical_sites(own_sites), sites_by_anchor(mirna, mutant, noncanonical=False))
        )
        for mutant in table["mutant"]
    ]
    table["sites_left"] = [
        "; ".join(f"{site.site_type} at {site.start + 1}" for site in sites_by_anchor(mirna, mutant).values())
        for mutant in table["mutant"]
    ]
    table.insert(0, "design", np.arange(1, len(table) + 1))
    return table[list(DESIGN_COLUMNS)]
