"""Looking miRNAs up by name in a reference (name -> mature sequence, e.g. from miRBase).

Holds :class:`_MirnaReference`, shared by the pair readers (missing sequences, orientation, splitting
concatenated plant records) and by :func:`rnaapp.io.mirbase.mirna_name_mismatches`.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from rnaapp.io.sequences import normalise_sequence


class _MirnaReference:
    """Name → sequence lookups (exact, first token, case-insensitive) and a set of known sequences."""

    def __init__(self, reference: Mapping[str, str]) -> None:
        self.by_name = {str(k).strip(): normalise_sequence(v) for k, v in reference.items()}
        self.by_lower_name: dict[str, str] = {}
        for key, seq in self.by_name.items():
            self.by_lower_name.setdefault(key.lower(), seq)
            self.by_lower_name.setdefault(key.split()[0].lower() if key.split() else key, seq)
        self.sequences = set(self.by_name.values())

    def lookup_one(self, name: str) -> str | None:
        name = name.strip()
        if not name:
            return None
        if name in self.by_name:
            return self.by_name[name]
        first = name.split()[0]
        if first in self.by_name:
            return self.by_name[first]
        return self.by_lower_name.get(name.lower(), self.by_lower_name.get(first.lower()))

    def lookup(self, names: pd.Series) -> pd.Series:
        """Reference sequence per name (``None`` where unknown); object Series with the same index."""
        found = {name: self.lookup_one(name) for name in pd.unique(names)}
        return names.map(found).astype(object)
