"""Looking miRNAs up by name in a reference (name -> mature sequence, e.g. from miRBase).

Holds the one rule for what names a miRNA wherever a name is accepted (pair files, miRNA lists, a typed
miRNA): :func:`mirna_name_key` (the first word, so ``"hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p"``
names ``hsa-let-7a-5p``) and :func:`reference_name` (that word matched exactly, as a miRBase accession such
as ``MIMAT0000062``, else ignoring case); :class:`MirnaReference`, a name -> sequence dictionary that also
knows each name's accession; and :class:`_MirnaReference`, shared by the pair readers (missing sequences,
orientation, splitting concatenated plant records) and by :func:`rnaapp.io.mirbase.mirna_name_mismatches`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pandas as pd

from rnaapp.io.sequences import normalise_sequence

__all__ = ["MIRBASE_ACCESSION", "MirnaReference", "is_mirbase_accession", "mirna_name_key", "reference_name"]

#: A miRBase mature-miRNA accession, e.g. ``MIMAT0000062`` (any case).
MIRBASE_ACCESSION = re.compile(r"^MIMAT\d+$", re.IGNORECASE)


def mirna_name_key(text: str) -> str:
    """The word that names a miRNA in ``text``: its first word, without a leading ``>``.

    Parameters
    ----------
    text
        A name, or a name followed by a description (a FASTA-like header such as
        ``"hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p"``).

    Returns
    -------
    str
        E.g. ``"hsa-let-7a-5p"``; ``""`` for blank text.
    """
    words = str(text).strip().removeprefix(">").split()
    return words[0] if words else ""


def is_mirbase_accession(text: str) -> bool:
    """Whether ``text`` (stripped) is a miRBase mature accession such as ``MIMAT0000062`` (any case)."""
    return bool(MIRBASE_ACCESSION.match(str(text).strip()))


class MirnaReference(dict):
    """miRNA name -> mature sequence, plus each name's miRBase accession.

    A ``dict`` (names are its keys, so it counts, lists and compares as before) with
    :attr:`accessions`, uppercase accession -> name, used by :func:`reference_name` so that
    ``MIMAT0000062`` finds ``hsa-let-7a-5p`` wherever a name is accepted. Copying it with ``dict(...)``
    or ``{**...}`` keeps the names and drops the accessions.

    Parameters
    ----------
    names
        Name -> sequence.
    accessions
        Accession -> name (any case; stored uppercase); names not in ``names`` are ignored.
    """

    def __init__(self, names: Mapping[str, str] = (), accessions: Mapping[str, str] | None = None) -> None:
        super().__init__(names)
        self.accessions: dict[str, str] = {
            str(accession).upper(): name for accession, name in (accessions or {}).items() if name in self
        }

    def accession_of(self, name: str) -> str | None:
        """The accession of ``name`` (a reference name), or None when it has none."""
        return next((accession for accession, owner in self.accessions.items() if owner == name), None)


def _accessions(reference: Mapping[str, str]) -> Mapping[str, str]:
    return getattr(reference, "accessions", None) or {}


def reference_name(
    text: str,
    names: Mapping[str, object],
    lower_names: Mapping[str, str],
    accessions: Mapping[str, str] | None = None,
) -> str | None:
    """The reference's name for a miRNA named in ``text``: the one name rule of rnaapp.

    ``text`` as it is, else its :func:`mirna_name_key`, is looked up exactly, then as a miRBase accession
    (``MIMAT0000062``, any case), then ignoring case.

    Parameters
    ----------
    text
        A name, an accession, or either followed by a description.
    names
        The reference's names (any mapping or set-like container with ``in``).
    lower_names
        Lowercase name -> the reference's spelling.
    accessions
        Uppercase accession -> name (default: none).

    Returns
    -------
    str or None
        The reference's spelling of the name; None when the reference does not know it.
    """
    stripped = str(text).strip()
    if stripped in names:
        return stripped
    key = mirna_name_key(stripped)
    if key in names:
        return key
    if accessions and is_mirbase_accession(key):
        return accessions.get(key.upper())
    return lower_names.get(stripped.lower()) or lower_names.get(key.lower())


class _MirnaReference:
    """Name → sequence lookups (:func:`reference_name`) and a set of known sequences."""

    def __init__(self, reference: Mapping[str, str]) -> None:
        self.by_name = {str(k).strip(): normalise_sequence(v) for k, v in reference.items()}
        self.accessions = {
            str(accession).upper(): str(name).strip() for accession, name in _accessions(reference).items()
        }
        self.lower_names: dict[str, str] = {}
        for key in self.by_name:
            self.lower_names.setdefault(key.lower(), key)
            self.lower_names.setdefault(mirna_name_key(key).lower() or key, key)
        self.sequences = set(self.by_name.values())

    def lookup_one(self, name: str) -> str | None:
        if not str(name).strip():
            return None
        found = reference_name(name, self.by_name, self.lower_names, self.accessions)
        return None if found is None else self.by_name.get(found)

    def named(self, names: pd.Series) -> pd.Series:
        """``names`` with each accession or "name + description" the reference knows replaced by its name.

        Other names are kept as written.
        """
        found = {}
        for name in pd.unique(names):
            text = str(name).strip()
            if is_mirbase_accession(text) or " " in text or "\t" in text:
                resolved = reference_name(text, self.by_name, self.lower_names, self.accessions)
                if resolved is not None:
                    found[name] = resolved
        return names.map(lambda name: found.get(name, name)) if found else names

    def lookup(self, names: pd.Series) -> pd.Series:
        """Reference sequence per name (``None`` where unknown); object Series with the same index."""
        found = {name: self.lookup_one(name) for name in pd.unique(names)}
        return names.map(found).astype(object)
