"""What every model family provides, so that one training loop and one ``predict()`` serve them all.

A family couples three things:

- a frozen dataclass config (JSON-serialisable; saved in the model card),
- a pure ``torch.nn.Module`` (tensors in, logits out) built from that config,
- a featuriser that turns miRNA and target sequences into the arrays the module takes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from torch import nn

from rnaapp.progress import Progress


def config_to_dict(config: Any) -> dict[str, Any]:
    """A dataclass config as a JSON-ready dict (tuples become lists)."""
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in dataclasses.asdict(config).items()
    }


def config_from_dict(config_class: type, values: dict[str, Any] | None) -> Any:
    """Build a config dataclass from a dict, turning lists back into tuples and rejecting unknown keys.

    Raises
    ------
    ValueError
        If a key is not a field of ``config_class``.
    """
    values = dict(values or {})
    fields = {field.name: field for field in dataclasses.fields(config_class)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ValueError(
            f"unknown setting(s) {', '.join(unknown)} for {config_class.__name__}; "
            f"known: {', '.join(sorted(fields)) or 'none'}"
        )
    for key, value in values.items():
        if isinstance(value, list):
            values[key] = tuple(value)
    return config_class(**values)


class Family:
    """Base class of a model family. Subclasses set the class attributes and implement the methods.

    Attributes
    ----------
    name
        Registry name, e.g. ``"mirna_site"``.
    task
        ``"site"`` (miRNA-mRNA target site), ``"plant"`` (plant miRNA-lncRNA) or ``"gene"`` (miRNA-gene).
    config_class
        The frozen dataclass holding the architecture settings.
    description
        One line for listings.
    has_attention
        Whether the module can return a miRNA-position x target-position attention matrix.
    uses_names
        Whether :meth:`featurize` also reads the miRNA and target *names* (``mirna_ids``, ``target_ids``):
        graph families look the nodes of the interaction graph up by name.
    """

    name: ClassVar[str]
    task: ClassVar[str]
    config_class: ClassVar[type]
    description: ClassVar[str] = ""
    has_attention: ClassVar[bool] = False
    uses_names: ClassVar[bool] = False

    def default_config(self) -> Any:
        """The config with every setting at its default."""
        return self.config_class()

    def build(self, config: Any) -> nn.Module:
        """Create the (untrained) module for ``config``."""
        raise NotImplementedError

    def featurize(
        self, config: Any, mirnas: Sequence[str], targets: Sequence[str], progress: Progress | None = None
    ) -> dict[str, np.ndarray]:
        """Arrays for the module's ``forward`` keyword arguments; first axis = pairs.

        Families with :attr:`uses_names` also take the keyword arguments ``mirna_ids`` and ``target_ids``
        (sequences of names, or None when the pairs have no names).
        """
        raise NotImplementedError

    def featurize_seconds(self, config: Any, mirnas: Sequence[str], targets: Sequence[str]) -> float | None:
        """About how long :meth:`featurize` will take on these pairs, when that can be said before it starts.

        Families whose features cost seconds per pair on long targets (a duplex over the whole target)
        estimate it, so that the user hears it before a long run starts. Default: None (not estimated).
        """
        return None

    def prepare(self, config: Any, pairs: pd.DataFrame, seed: int) -> Any:
        """The config to train with on ``pairs`` (e.g. with the node names of the training graph).

        Called by the training loop before anything is featurised. Default: ``config`` unchanged.
        """
        return config

    def initialise_from_pairs(
        self, module: nn.Module, config: Any, pairs: pd.DataFrame, features: dict[str, np.ndarray], seed: int
    ) -> dict[str, np.ndarray]:
        """Initialisation that needs the labelled training pairs; returns the training features to use.

        Called after :meth:`initialise` with the training pairs (``mirna_id``, ``target_id``, ``label``
        columns) and their :meth:`featurize` output. Graph families build the training graph here and may
        return changed training features (e.g. cross-fitted graph views). Default: ``features`` unchanged.
        """
        return features

    def initialise(
        self,
        module: nn.Module,
        config: Any,
        mirnas: Sequence[str],
        targets: Sequence[str],
        seed: int,
        features: dict[str, np.ndarray] | None = None,
    ) -> None:
        """Data-dependent initialisation before training (e.g. k-mer embeddings). Default: nothing.

        ``features`` is this family's :meth:`featurize` output for the same pairs, when the caller has it.
        """

    def max_target_length(self, config: Any) -> int | None:
        """Longest target (nt) the module reads whole, or None when any length is fine."""
        return None

    def attention_to_nucleotides(
        self, attention: np.ndarray, config: Any, mirna: str, target: str
    ) -> np.ndarray:
        """Turn one pair's token-level attention into a ``(len(mirna), len(target))`` matrix."""
        raise NotImplementedError(f"family {self.name} has no attention map")
