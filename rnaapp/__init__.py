"""rnaapp: predict and inspect microRNA-target interactions.

The public API (importing ``rnaapp`` itself is cheap: each name loads its module on first use)::

    import rnaapp

    model = rnaapp.load_model("site")                      # a shipped or trained model, by name/family/task
    options = rnaapp.InferenceOptions(batch_size=256)      # how models run (device, precision, ...)
    pairs = rnaapp.read_pairs("pairs.csv")                 # any pair format rnaapp reads
    scores = rnaapp.score_pairs(model, pairs, options)     # probability, best site, ... per pair
    result = rnaapp.scan.scan(model, mirnas, transcripts, options)  # rank pairs over whole transcripts
    evaluation = rnaapp.evaluate(labels, probabilities)    # every metric, with curves
    ism = rnaapp.mutagenesis.saturation_mutagenesis(model, mirna, target, options)  # every substitution
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> module that defines it.
_EXPORTS = {
    # models
    "load_model": "rnaapp.registry",
    "list_models": "rnaapp.registry",
    "save_model": "rnaapp.registry",
    "TrainedModel": "rnaapp.registry",
    "FAMILIES": "rnaapp.models",
    # scoring
    "InferenceOptions": "rnaapp.inference",
    "predict": "rnaapp.inference",
    "score_pairs": "rnaapp.inference",
    # scanning (``rnaapp.scan`` is the scanning package: rnaapp.scan.scan, rnaapp.scan.scan_batches, ...)
    "scan_batches": "rnaapp.scan",
    "candidate_sites": "rnaapp.scan",
    "top_interactions": "rnaapp.scan",
    # reading
    "read_pairs": "rnaapp.io",
    "read_fasta": "rnaapp.io",
    "iter_fasta": "rnaapp.io",
    "InputError": "rnaapp.io",
    # evaluating
    "evaluate": "rnaapp.metrics",
    "compute_metrics": "rnaapp.metrics",
    "compare_models": "rnaapp.comparison",
    # training and ranking
    "fit": "rnaapp.train",
    "cross_validate": "rnaapp.train",
    "TrainingConfig": "rnaapp.train",
    "rank_candidates": "rnaapp.rank",
}

#: Subpackages that are part of the public API as modules (their names are also functions inside them).
_SUBMODULES = ("scan", "pair_report", "inference", "io", "mutagenesis")

__all__ = ["__version__", *_EXPORTS, *_SUBMODULES]


def __getattr__(name: str) -> Any:
    """Load a public name's module on first use (PEP 562)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"rnaapp.{name}")
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'rnaapp' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API, for ``dir(rnaapp)`` and tab completion."""
    return sorted(set(globals()) | set(__all__))
