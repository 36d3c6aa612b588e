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
from rnaapp.scan.candidates import candidate_sites, tile_starts, window_bounds
from rnaapp.scoring import SiteContext, site_features
from rnaapp.structure import hybridize


def pair_windows(
    mirna: str, target: str, length: int, *, noncanonical: bool = True
) -> tuple[list[SiteContext], list[int]]:
    """The sites a scan reads on one pair and the start of each one's window (0-based).

    A transcript without candidate sites is read in tiles (site type ``none``).
    """
    sites = candidate_sites(mirna, target, noncanonical=noncanonical)
    if sites:
        contexts = [SiteContext(site.site_type, site.start, site.end) for site in sites]
        starts = [window_bounds(site.anchor, len(target), length)[0] for site in sites]
        return contexts, starts
    starts = tile_starts(len(target), length) if target else []
    return [SiteContext("none", start, start + length) for start in starts], starts


def pair_site_features(
    model: TrainedModel,
    pairs: Sequence[tuple[str, str]],
    options: InferenceOptions | None = None,
    *,
    window_length: int | None = None,
    energies: bool = True,
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
    layouts = [pair_windows(mirna, target, length, noncanonical=noncanonical) for mirna, target in pairs]
    window_mirnas = [
        mirna for (mirna, _), (contexts, _) in zip(pairs, layouts, strict=True) for _ in contexts
    ]
    windows = [
        target[start : start + length]
        for (_, target), (_, starts) in zip(pairs, layouts, strict=True)
        for start in starts
    ]
    logits = predict(model, window_mirnas, windows, options, output="logit") if windows else np.zeros(0)
    features = []
    offset = 0
    for number, ((mirna, target), (contexts, _)) in enumerate(zip(pairs, layouts, strict=True)):
        count = len(contexts)
        pair_logits = logits[offset : offset + count]
        site_energies = (
            np.array([hybridize(mirna, windows[offset + k]).energy for k in range(count)])
            if energies
            else None
        )
        features.append(site_features(target, contexts, pair_logits, site_energies))
        offset += count
        if progress is not None:
            progress(number + 1, len(pairs))
    return features
