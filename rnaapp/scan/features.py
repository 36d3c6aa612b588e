"""The site features of whole (miRNA, transcript) pairs, as the scan computes them (for fitting scores).

:func:`pair_site_features` cuts the same windows as :func:`rnaapp.scan.scan` (candidate sites, or tiles of a
transcript without any), scores them with the same :func:`rnaapp.inference.predict` and returns each pair's
rows of :data:`rnaapp.scoring.SITE_FEATURES`: what :class:`rnaapp.scoring.TranscriptModel` is fitted on.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnaapp.inference.batches import predict
from rnaapp.inference.options import InferenceOptions
from rnaapp.progress import Progress
from rnaapp.registry import TrainedModel
from rnaapp.scan.candidates import CandidateSite, pair_windows
from rnaapp.scoring import SiteContext, site_features
from rnaapp.scoring.features import ACCESSIBLE_STRETCH
from rnaapp.structure import accessibility as unpaired_profile
from rnaapp.structure import hybridize

#: Transcripts whose accessibility profile is kept between calls (one fold each; about 16 kB per kb).
PROFILE_CACHE = 8192
_PROFILES: dict[str, np.ndarray] = {}


def accessibility_profile(target: str) -> np.ndarray:
    """The unpaired probability of the 14-nt stretch at every position of ``target`` (cached).

    :func:`rnaapp.structure.accessibility` with ``unpaired_length`` :data:`ACCESSIBLE_STRETCH`; shape
    ``(len(target),)``.
    """
    profile = _PROFILES.get(target)
    if profile is None:
        if len(_PROFILES) >= PROFILE_CACHE:
            _PROFILES.clear()
        profile = _PROFILES[target] = unpaired_profile(target, unpaired_length=ACCESSIBLE_STRETCH)
    return profile


def remember_profiles(profiles: dict[str, np.ndarray]) -> None:
    """Add already computed :func:`accessibility_profile` values (e.g. folded in worker processes)."""
    for target, profile in profiles.items():
        if len(_PROFILES) >= PROFILE_CACHE:
            break
        _PROFILES[target] = profile


def site_context(site: CandidateSite | None, start: int, length: int) -> SiteContext:
    """The :class:`~rnaapp.scoring.SiteContext` of a window read by a scan (``site`` None: a tile)."""
    if site is None:
        return SiteContext("none", start, start + length)
    return SiteContext(site.site_type, site.start, site.end)


def pair_site_features(
    model: TrainedModel,
    pairs: Sequence[tuple[str, str]],
    options: InferenceOptions | None = None,
    *,
    window_length: int | None = None,
    energies: bool = True,
    accessibility: bool = True,
    noncanonical: bool = True,
    progress: Progress | None = None,
) -> list[np.ndarray]:
    """Feature rows of every site of each ``(miRNA, transcript)`` pair.

    Parameters
    ----------
    model
        A site model.
    pairs
        ``(miRNA sequence, transcript sequence)``, normalised RNA 5'->3'.
    options
        How the model runs.
    window_length
        Window length (default: the scan's, :func:`rnaapp.scan.model_window_length`).
    energies
        Compute every site's duplex free energy (otherwise the default energy stands in).
    accessibility
        Fold every transcript for its sites' accessibility (otherwise the default stands in).
    noncanonical
        Also read non-canonical seed matches (as the scan does by default).
    progress
        Called as ``progress(pairs_done, pairs_total)`` while energies are computed.

    Returns
    -------
    list of numpy.ndarray
        One ``(n_sites, len(SITE_FEATURES))`` array per pair (no rows for an empty transcript).
    """
    from rnaapp.scan.engine import model_window_length  # the engine imports this package

    length = model_window_length(model) if window_length is None else window_length
    layouts = [pair_windows(mirna, target, length, noncanonical=noncanonical)[1] for mirna, target in pairs]
    window_mirnas = [mirna for (mirna, _), reads in zip(pairs, layouts, strict=True) for _ in reads]
    windows = [
        target[start : start + length]
        for (_, target), reads in zip(pairs, layouts, strict=True)
        for _, start in reads
    ]
    logits = predict(model, window_mirnas, windows, options, output="logit") if windows else np.zeros(0)
    features = []
    offset = 0
    for number, ((mirna, target), reads) in enumerate(zip(pairs, layouts, strict=True)):
        contexts = [site_context(site, start, length) for site, start in reads]
        count = len(contexts)
        pair_logits = logits[offset : offset + count]
        site_energies = (
            np.array([hybridize(mirna, windows[offset + k]).energy for k in range(count)])
            if energies
            else None
        )
        unpaired = None
        if accessibility and count and contexts[0].site_type != "none":
            unpaired = accessibility_profile(target)
        features.append(
            site_features(target, contexts, pair_logits, site_energies, unpaired=unpaired, mirna=mirna)
        )
        offset += count
        if progress is not None:
            progress(number + 1, len(pairs))
    return features
