"""In-silico saturation mutagenesis of one miRNA-target pair: every single-nucleotide substitution, scored.

Attribution by saturation mutagenesis (ISM, as tangermeme's ``saturation_mutagenesis``): each base of the
target (or of the miRNA) is replaced by each of the three others, every mutant is scored through the one
inference path (:func:`rnaapp.inference.transcript_probabilities`, in one batch; a target longer than the
model's window is scanned, one scan for all its mutants), and ``delta`` is the mutant's ``score`` minus the
reference's. ``score`` is the graded log-odds, so a delta is visible where probabilities saturate.

Which region is mutated: the whole target when the model reads it whole (at most its window, 60 nt for the
shipped site models; plant models read any target whole: up to 100 nt); for a longer target, the 40 nt
around its best site (the window a site model reads there; a plant model's best complementary site),
unless ``start``/``end`` say otherwise. The miRNA is mutated whole.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rnaapp.inference.options import InferenceOptions
from rnaapp.inference.pairs import reads_whole, transcript_probabilities
from rnaapp.io import InputError
from rnaapp.mutagenesis.site_changes import (
    describe_changes,
    site_changes,
    site_window,
    sites_by_anchor,
)
from rnaapp.progress import Progress
from rnaapp.registry import TrainedModel

NUCLEOTIDES = "ACGU"
MOLECULES = ("target", "mirna")
#: Longest target a model reading it whole gets mutated whole by default (longer: 40 nt at its best site).
DEFAULT_WHOLE = 100
#: Most nucleotides one call mutates (3 mutants each): bounds the work a typed region can ask for.
MAX_REGION = 1000

#: Columns of :attr:`Mutagenesis.table`, with their meaning (the CLI's and the app's help text).
MUTAGENESIS_COLUMNS = {
    "molecule": "which sequence was mutated: target or mirna",
    "position": "mutated nucleotide, 1-based on the mutated sequence (5'->3')",
    "ref": "the reference base there",
    "alt": "the base put in its place",
    "score": "the mutant's score: the graded log-odds that ranks pairs (higher = stronger)",
    "probability": "the mutant's calibrated probability at the prior (default 0.5)",
    "delta": "mutant score minus reference score (negative = the substitution weakens the interaction)",
    "site_type": "seed match type of the mutant's best site (none without a candidate site)",
    "site_change": "candidate sites the substitution makes, loses or retypes, e.g. '8mer→6mer at 13' "
    "(positions: first nucleotide of the seed match on the target); empty when every site stays",
    "energy": "where a site changes: ViennaRNA duplex free energy (kcal/mol) of the miRNA with the 40-nt "
    "window around that site, in the mutant",
    "delta_energy": "that energy minus the reference's (positive = a less stable duplex)",
    "in_seed_match": "whether the position lies in the reference's best seed match (target: the site's "
    "nucleotides; miRNA: positions 2-8)",
}


@dataclass(frozen=True)
class Mutagenesis:
    """Every single-nucleotide substitution of one pair, scored by one model.

    Attributes
    ----------
    model
        Name of the model that scored the mutants.
    molecule
        ``"target"`` or ``"mirna"``: the sequence that was mutated.
    mirna, target
        The reference sequences (normalised RNA, 5'->3').
    region
        0-based, end-exclusive span of the mutated sequence that was mutated.
    reference
        The reference pair's ``score``, ``probability``, ``best_site_type``, ``best_site_start`` (1-based)
        and ``n_sites``.
    seed_match
        0-based, end-exclusive span of the reference's best canonical site on the target (None without
        one); for the miRNA, its positions 2-8 (``(1, 8)``).
    table : pandas.DataFrame, shape (3 * region length, 12)
        One row per substitution, in order of position then ``alt`` (:data:`MUTAGENESIS_COLUMNS`).
    seconds
        Wall time of the whole call (the reference and all mutants scored, sites typed, energies).
    """

    model: str
    molecule: str
    mirna: str
    target: str
    region: tuple[int, int]
    reference: dict
    seed_match: tuple[int, int] | None
    table: pd.DataFrame = field(repr=False)
    seconds: float = 0.0

    @property
    def sequence(self) -> str:
        """The mutated sequence (the target or the miRNA)."""
        return self.target if self.molecule == "target" else self.mirna

    def delta_matrix(self) -> pd.DataFrame:
        """``delta`` as a table: rows A, C, G, U; columns the 1-based positions (0 at the reference base)."""
        matrix = self.table.pivot(index="alt", columns="position", values="delta")
        matrix = matrix.reindex(index=list(NUCLEOTIDES))
        for position, base in zip(
            matrix.columns, self.sequence[self.region[0] : self.region[1]], strict=True
        ):
            if base in NUCLEOTIDES:
                matrix.loc[base, position] = 0.0
        return matrix


def single_substitutions(sequence: str, start: int, end: int) -> list[tuple[int, str, str, str]]:
    """Every single-nucleotide substitution of ``sequence[start:end]``.

    Returns
    -------
    list of (position, ref, alt, mutant)
        ``position`` 0-based; the three other bases of ``ACGU`` in that order (an ``N`` gets all four).
    """
    mutants = []
    for position in range(start, end):
        ref = sequence[position]
        for alt in NUCLEOTIDES:
            if alt != ref:
                mutants.append((position, ref, alt, sequence[:position] + alt + sequence[position + 1 :]))
    return mutants


def score_sequences(
    model: TrainedModel,
    mirnas: Sequence[str],
    targets: Sequence[str],
    options: InferenceOptions | None = None,
    *,
    prior: float | None = None,
    progress: Progress | None = None,
) -> pd.DataFrame:
    """Scores of (miRNA, target) sequence pairs through the one inference path; refuses gene models.

    Returns the frame of :func:`rnaapp.inference.transcript_probabilities` (``score``, ``probability``,
    ``best_site_type``, ``best_site_start``, ``n_sites``, ...), one row per pair.
    """
    if model.family.task == "gene":
        raise InputError(
            f"model '{model.name}' is a miRNA–gene association model: it scores a miRNA and a gene by name, "
            "so a base change does not move its score; mutate with a site or plant model (e.g. site)"
        )
    return transcript_probabilities(model, mirnas, targets, options, prior=prior, progress=progress)


def default_region(model: TrainedModel, mirna: str, target: str, reference: pd.Series) -> tuple[int, int]:
    """The region mutated by default (module docstring).

    The whole target when the model reads it whole and it is at most :data:`DEFAULT_WHOLE` nt; else 40 nt
    around its best site: the site model's best candidate site (the window the model reads there), or a
    plant model's best complementary site (centred on it).
    """
    if reads_whole(model, target) and len(target) <= DEFAULT_WHOLE:
        return 0, len(target)
    if model.family.task == "plant":
        from rnaapp.scan.plant import plant_sites

        found = plant_sites(mirna, target, count=1).sites
        if found:
            middle = (found[0].start + found[0].end) // 2
            first = min(max(0, middle - 20), max(0, len(target) - 40))
            return first, min(len(target), first + 40)
        return 0, min(len(target), 40)
    best = _reported_site(sites_by_anchor(mirna, target).values(), reference)
    return site_window(best.anchor, len(target)) if best else (0, min(len(target), 40))


def _reported_site(sites, reference: pd.Series):
    """The site among ``sites`` whose seed match starts where the reference's ``best_site_start`` says."""
    best_start = reference.get("best_site_start")
    if best_start is None or pd.isna(best_start):
        return None
    return next((site for site in sites if site.start + 1 == int(best_start)), None)


def _checked_region(start: int | None, end: int | None, default: tuple[int, int], length: int, what: str):
    """The 0-based region from 1-based inclusive ``start``/``end`` (either may be None: the default's)."""
    first = default[0] if start is None else start - 1
    last = default[1] if end is None else end
    if not 0 <= first < last <= length:
        raise InputError(
            f"the region to mutate ({first + 1}-{last}) must lie within the {what} (1-{length}) and hold at "
            "least one nucleotide"
        )
    if last - first > MAX_REGION:
        raise InputError(
            f"the region to mutate is {last - first:,} nt; mutate at most {MAX_REGION:,} nt at once "
            "(give --start and --end)"
        )
    return first, last


def _energy(mirna: str, target: str, anchor: int) -> float:
    """ViennaRNA duplex energy of ``mirna`` with the 40-nt window around ``anchor`` on ``target``."""
    from rnaapp.structure import hybridize

    window_start, window_end = site_window(anchor, len(target))
    return hybridize(mirna, target[window_start:window_end]).energy


def saturation_mutagenesis(
    model: TrainedModel,
    mirna: str,
    target: str,
    options: InferenceOptions | None = None,
    *,
    molecule: str = "target",
    start: int | None = None,
    end: int | None = None,
    prior: float | None = None,
    progress: Progress | None = None,
) -> Mutagenesis:
    """Score every single-nucleotide substitution of a pair's target (or miRNA).

    Parameters
    ----------
    model
        A site or plant model (:func:`rnaapp.load_model`).
    mirna, target
        The reference pair, normalised RNA 5'->3'.
    options
        How the model runs (:class:`rnaapp.InferenceOptions`).
    molecule
        ``"target"`` (default) or ``"mirna"``: which sequence to mutate.
    start, end
        1-based, inclusive region of that sequence to mutate (module docstring for the default).
    prior
        Share of true interactions assumed, for ``probability`` (default: the model's fitted prior).
    progress
        Called as ``progress(pairs_done, pairs_total)`` while the mutants are scored.

    Returns
    -------
    Mutagenesis
        The reference, and one row per substitution (:data:`MUTAGENESIS_COLUMNS`).

    Raises
    ------
    rnaapp.io.InputError
        For a gene model, an unknown ``molecule`` or a region outside the sequence.
    """
    import time

    if molecule not in MOLECULES:
        raise InputError(f"molecule must be target or mirna, not {molecule!r}")
    started = time.perf_counter()
    reference = score_sequences(model, [mirna], [target], options, prior=prior).iloc[0]
    sequence = target if molecule == "target" else mirna
    default = default_region(model, mirna, target, reference) if molecule == "target" else (0, len(mirna))
    region = _checked_region(
        start, end, default, len(sequence), molecule if molecule == "target" else "miRNA"
    )
    mutants = single_substitutions(sequence, *region)
    mutant_sequences = [mutant for *_, mutant in mutants]
    if molecule == "target":
        scored = score_sequences(
            model, [mirna] * len(mutants), mutant_sequences, options, prior=prior, progress=progress
        )
    else:
        scored = score_sequences(
            model, mutant_sequences, [target] * len(mutants), options, prior=prior, progress=progress
        )
    reference_sites = sites_by_anchor(mirna, target)
    canonical = [site for site in reference_sites.values() if site.site_type != "non-canonical"]
    best = None
    if canonical:
        best = _reported_site(canonical, reference) or max(
            canonical, key=lambda site: (site.end - site.start, -site.start)
        )
    seed_match = (1, 8) if molecule == "mirna" else ((best.start, best.end) if best else None)

    changes, energies, energy_deltas = [], [], []
    reference_energies: dict[int, float] = {}
    for *_, mutant in mutants:
        mutant_mirna, mutant_target = (mirna, mutant) if molecule == "target" else (mutant, target)
        found = site_changes(reference_sites, sites_by_anchor(mutant_mirna, mutant_target))
        changes.append(describe_changes(found))
        if found:
            anchor = found[0].anchor
            if anchor not in reference_energies:
                reference_energies[anchor] = _energy(mirna, target, anchor)
            energy = _energy(mutant_mirna, mutant_target, anchor)
            energies.append(energy)
            energy_deltas.append(energy - reference_energies[anchor])
        else:
            energies.append(np.nan)
            energy_deltas.append(np.nan)
    positions = np.array([position for position, *_ in mutants], dtype=int)
    if seed_match is None:
        in_seed = np.zeros(len(mutants), dtype=bool)
    else:
        in_seed = (positions >= seed_match[0]) & (positions < seed_match[1])
    scores = scored["score"].to_numpy(dtype=float)
    table = pd.DataFrame(
        {
            "molecule": molecule,
            "position": positions + 1,
            "ref": [ref for _, ref, _, _ in mutants],
            "alt": [alt for _, _, alt, _ in mutants],
            "score": scores,
            "probability": scored["probability"].to_numpy(dtype=float),
            "delta": scores - float(reference["score"]),
            "site_type": scored["best_site_type"].to_numpy(),
            "site_change": changes,
            "energy": energies,
            "delta_energy": energy_deltas,
            "in_seed_match": in_seed,
        }
    )
    seconds = time.perf_counter() - started
    return Mutagenesis(
        model=model.name,
        molecule=molecule,
        mirna=mirna,
        target=target,
        region=region,
        reference={
            "score": float(reference["score"]),
            "probability": float(reference["probability"]),
            "best_site_type": reference["best_site_type"],
            "best_site_start": None
            if pd.isna(reference["best_site_start"])
            else int(reference["best_site_start"]),
            "n_sites": None if pd.isna(reference["n_sites"]) else int(reference["n_sites"]),
        },
        seed_match=seed_match,
        table=table,
        seconds=seconds,
    )
