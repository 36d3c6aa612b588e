"""miRNA names: the configured miRBase file, the built-in miRNAs, and names typed by users.

Holds the check of a miRBase ``mature.fa`` chosen in the settings (:func:`check_mirbase_file`), its
reading with a cache (:func:`mirbase_sequences`), the names usable for miRNAs (:func:`mirna_reference`:
the built-in examples' miRNAs plus miRBase; :func:`configured_mirna_reference`, which never fails), and
:func:`resolve_mirnas`, which turns names or sequences typed by a user into sequences, suggesting close
names for an unknown one, and :func:`read_typed_mirna`, which says what one miRNA box holds (a sequence, a
name, or a problem) as a :class:`TypedMirna`.

Reading files and comparing names with a reference is :mod:`rnaapp.io.mirbase`; where the miRBase file is
configured is :mod:`rnaapp.settings` (imported only when the configured file is asked for). Like
:mod:`rnaapp.settings`, this module does not import torch.
"""

from __future__ import annotations

import difflib
import functools
import gzip
import re
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rnaapp.examples import EXAMPLE_MIRNA_ACCESSIONS, EXAMPLE_MIRNAS, PLANT_EXAMPLE_MIRNAS
from rnaapp.io import (
    InputError,
    normalise_sequence,
    read_mirbase,
    sequence_letter_problem,
    sequence_problem,
    split_pasted_record,
)
from rnaapp.io.reference import MirnaReference, is_mirbase_accession, mirna_name_key, reference_name

__all__ = [
    "MIRBASE_DOWNLOAD_URL",
    "TYPED_KINDS",
    "TypedMirna",
    "check_fasta_file",
    "check_mirbase_file",
    "configured_mirna_reference",
    "mirbase_sequences",
    "mirna_reference",
    "read_typed_mirna",
    "resolve_mirnas",
]

MIRBASE_DOWNLOAD_URL = "https://www.mirbase.org/download/mature.fa"
_SEQUENCE_ENTRY = re.compile(r"^[ACGUTNacgutn\s]+$")
_SUGGESTIONS = 5
_DOWNLOAD_HINT = f"Download mature.fa from {MIRBASE_DOWNLOAD_URL}."


def check_mirbase_file(path: str) -> None:
    """Check that ``path`` is a miRBase FASTA file, reading only its first record.

    Parameters
    ----------
    path
        The path entered for ``mature.fa`` (plain or gzipped; ``~`` is expanded).

    Raises
    ------
    InputError
        Unless ``path`` is a readable FASTA file whose first record parses; the message names the file
        (``source`` is ``"settings"`` for an empty path) and, for a missing or non-text file, says where
        to download ``mature.fa``.
    """
    check_fasta_file(
        path,
        file_words="miRBase file",
        fasta_words="miRBase FASTA file",
        folder_words="the miRBase file mature.fa",
        parse=read_mirbase,
        hint=_DOWNLOAD_HINT,
        empty_path="no miRBase file given (enter the path to mature.fa)",
    )


def check_fasta_file(
    path: str,
    *,
    file_words: str,
    fasta_words: str,
    folder_words: str,
    parse: Callable[[bytes], object],
    empty_path: str,
    hint: str = "",
) -> None:
    """Check that ``path`` is a FASTA file whose first record ``parse`` accepts, reading only that record.

    Shared by :func:`check_mirbase_file` and :func:`rnaapp.settings.check_utr_fasta_file`.

    Parameters
    ----------
    path
        The path entered (plain or gzipped; ``~`` is expanded).
    file_words, fasta_words, folder_words
        What the file is, in messages: e.g. ``"miRBase file"``, ``"miRBase FASTA file"`` and
        ``"the miRBase file mature.fa"`` (after "this is a folder, not").
    parse
        Reads the first record's bytes, raising :class:`InputError` when it is not such a file.
    empty_path
        The message for an empty path (source ``"settings"``).
    hint
        A sentence added for a missing or non-text file (e.g. where to download it).

    Raises
    ------
    InputError
        Unless ``path`` is a readable FASTA file whose first record parses; the message names the file.
    """
    source = str(path)
    file = Path(path).expanduser()
    tail = f". {hint}" if hint else ""
    if not source.strip():
        raise InputError(empty_path, source="settings")
    if not file.exists():
        raise InputError(f"the {file_words} does not exist{tail}", source=source)
    if not file.is_file():
        raise InputError(f"this is a folder, not {folder_words}", source=source)
    try:
        head = _first_record(file)
    except OSError as error:
        raise InputError(f"cannot read the {file_words} ({error.strerror or error})", source=source) from None
    except (UnicodeDecodeError, EOFError, ValueError):
        raise InputError(f"this is not a {fasta_words} (it is not text){tail}", source=source) from None
    if not head.strip():
        raise InputError(f"the {file_words} is empty", source=source)
    try:
        parse(head.encode("utf-8"))
    except InputError as error:
        problem = error.problem.removeprefix("this is not a FASTA file: ")
        raise InputError(f"this is not a {fasta_words}: {problem}", source=source) from None


def _first_record(file: Path, max_lines: int = 200, max_line_length: int = 65536) -> str:
    """The text of a (possibly gzipped) FASTA file up to, not including, its second record."""
    with file.open("rb") as handle:
        gzipped = handle.read(2) == b"\x1f\x8b"
    lines: list[str] = []
    seen_header = False
    with (gzip.open if gzipped else open)(file, "rt", encoding="utf-8") as handle:
        for _ in range(max_lines):
            line = handle.readline(max_line_length)
            if not line:
                break
            if line.startswith(">"):
                if seen_header:
                    break
                seen_header = True
            lines.append(line)
    return "".join(lines)


@functools.lru_cache(maxsize=4)
def _read_mirbase_cached(path: str, modified_ns: int, size: int) -> MirnaReference:
    """:func:`rnaapp.io.read_mirbase`, cached by file identity (path, modification time, size)."""
    return read_mirbase(path)


def mirbase_sequences(path: str | None = None) -> MirnaReference:
    """Map miRBase names to mature sequences, from the configured (or given) ``mature.fa``.

    Read once per file version: repeated calls return a copy of a cached dictionary, and an edited or
    replaced file (new modification time or size) is read again.

    Parameters
    ----------
    path
        A miRBase FASTA file; ``None`` means the configured one (:func:`rnaapp.settings.load_settings`).

    Returns
    -------
    MirnaReference
        A ``dict``, e.g. ``{"hsa-let-7a-5p": "UGAGGUAGUAGGUUGUAUAGUU", ...}``, whose ``accessions`` map
        ``MIMAT0000062`` to ``hsa-let-7a-5p``; empty when no file is configured.

    Raises
    ------
    InputError
        When the file does not exist or cannot be read as a miRBase FASTA file.
    """
    if path is None:
        from rnaapp.settings import load_settings  # here: rnaapp.settings imports this module

        path = load_settings().mirbase_path
    if path is None:
        return MirnaReference()
    file = Path(path).expanduser()
    try:
        status = file.stat()
    except OSError:
        raise InputError(f"the miRBase file does not exist. {_DOWNLOAD_HINT}", source=str(path)) from None
    cached = _read_mirbase_cached(str(file.resolve()), status.st_mtime_ns, status.st_size)
    return MirnaReference(cached, cached.accessions)


def mirna_reference(path: str | None = None) -> MirnaReference:
    """Names usable for miRNAs: the built-in examples' miRNAs plus the miRBase file's entries.

    The built-in ones are :data:`rnaapp.examples.EXAMPLE_MIRNAS` and
    :data:`rnaapp.examples.PLANT_EXAMPLE_MIRNAS`, with their accessions
    (:data:`rnaapp.examples.EXAMPLE_MIRNA_ACCESSIONS`).

    Parameters
    ----------
    path
        As for :func:`mirbase_sequences`.

    Returns
    -------
    MirnaReference
        Name -> sequence (a ``dict``), with ``accessions`` (``MIMAT0000062`` -> ``hsa-let-7a-5p``).
    """
    built_in, mirbase = _built_in_mirnas(), mirbase_sequences(path)
    return MirnaReference({**built_in, **mirbase}, {**built_in.accessions, **mirbase.accessions})


def _built_in_mirnas() -> MirnaReference:
    return MirnaReference({**EXAMPLE_MIRNAS, **PLANT_EXAMPLE_MIRNAS}, EXAMPLE_MIRNA_ACCESSIONS)


def configured_mirna_reference() -> MirnaReference:
    """:func:`mirna_reference` of the configured miRBase file, or the built-in examples if it is unreadable.

    The file may have moved or been damaged since it was chosen (the Settings page says so).

    For checks that should never stop the work they accompany, such as the miRNA name check of a test set
    (:func:`rnaapp.io.mirna_name_mismatches`).
    """
    try:
        return mirna_reference()
    except InputError:
        return _built_in_mirnas()


_STEM = re.compile(r"^(\D*\d+)(.*)$")


def _name_parts(lower: str, species: Container[str]) -> tuple[str, str, str]:
    """A lowercase name as (species, family stem, rest): ``hsa-mir-99a-5p`` -> ``("hsa", "mir-99", "a-5p")``.

    The species is the first part when it is one of ``species`` (``""`` otherwise); the family stem runs
    up to the end of the first number, so that ``mir-99`` is not the stem of ``mir-599`` or ``mir-9986``.
    """
    first, _, rest = lower.partition("-")
    named_species = first if rest and first in species else ""
    core = rest if named_species else lower
    found = _STEM.match(core)
    stem, tail = (found.group(1), found.group(2)) if found else (core, "")
    return named_species, stem, tail


def _edit_distance(first: str, second: str) -> int:
    """Levenshtein distance (insertions, deletions and substitutions of one letter)."""
    previous = list(range(len(second) + 1))
    for row, letter in enumerate(first, start=1):
        current = [row]
        for column, other in enumerate(second, start=1):
            current.append(
                min(previous[column] + 1, current[-1] + 1, previous[column - 1] + (letter != other))
            )
        previous = current
    return previous[-1]


def _suggestions(name: str, lower_names: Mapping[str, str]) -> list[str]:
    """Close reference names, best first: same species, then same family, then fewest edits.

    The species is the typed one (``hsa`` when none is typed); the family is the name up to the end of
    its first number (``hsa-miR-99`` -> ``hsa-miR-99a-5p``, ``hsa-miR-99b-3p``, not ``hsa-miR-599``).
    Candidates are the family members, names extending ``name`` (a missing arm or species prefix) and
    look-alikes (:func:`difflib.get_close_matches`); ties keep the reference's order (miRBase lists the
    5p arm first).
    """
    wanted = name.lower()
    species = {lower.partition("-")[0] for lower in lower_names if "-" in lower}
    typed_species, typed_stem, typed_rest = _name_parts(wanted, species)
    wanted_species = typed_species or "hsa"
    has_family = any(character.isdigit() for character in typed_stem)
    order = {lower: position for position, lower in enumerate(lower_names)}
    ranked: dict[str, tuple[int, int, int, int]] = {}
    for lower in lower_names:
        extends = lower.startswith(wanted + "-") or lower.endswith("-" + wanted)
        if not extends and not (has_family and typed_stem in lower):
            continue  # cheap test first: a family member holds the typed stem
        candidate_species, stem, rest = _name_parts(lower, species)
        family = has_family and stem == typed_stem
        if family or extends:
            distance = _edit_distance(typed_rest, rest) if family else _edit_distance(wanted, lower)
            ranked[lower] = (candidate_species != wanted_species, not family, distance, order[lower])
    for lower in difflib.get_close_matches(wanted, list(lower_names), n=3 * _SUGGESTIONS, cutoff=0.75):
        if lower not in ranked:
            candidate_species = _name_parts(lower, species)[0]
            ranked[lower] = (
                candidate_species != wanted_species,
                True,
                _edit_distance(wanted, lower),
                order[lower],
            )
    best = sorted(ranked, key=ranked.__getitem__)[:_SUGGESTIONS]
    return [lower_names[lower] for lower in best]


def resolve_mirnas(
    entries: Sequence[str], reference: Mapping[str, str], *, source: str = "<input>"
) -> list[tuple[str, str]]:
    """Turn miRNA names or sequences, as typed by a user, into (name, sequence) pairs.

    Parameters
    ----------
    entries
        One miRNA per entry: a miRBase name or accession, optionally followed by a description (e.g. a
        FASTA-like header ``hsa-let-7a-5p MIMAT0000062 Homo sapiens let-7a-5p``), looked up by the one
        name rule of :func:`rnaapp.io.reference.reference_name` (the first word exactly, as an accession
        such as ``MIMAT0000062``, else ignoring case) as in pair files; or a sequence (letters ACGUTN, any
        case, whitespace ignored). Blank entries are skipped.
    reference
        Name → sequence, e.g. :func:`mirna_reference` or :func:`mirbase_sequences` (whose accessions
        make ``MIMAT`` accessions work).
    source
        Shown in error messages (e.g. ``"miRNA list"``).

    Returns
    -------
    list of (str, str)
        ``(name, sequence)`` per non-blank entry, in order; sequences normalised to uppercase RNA. A name
        or accession gives the reference's name; a typed sequence is named by itself.

    Raises
    ------
    InputError
        Naming the 1-based entry: an unknown name (with close names from ``reference`` when there are
        any), or a sequence with letters other than ACGUTN or a length outside 15–30 nt.
    """
    lower_names = _lower_names(reference)
    resolved: list[tuple[str, str]] = []
    for row, entry in enumerate(entries, start=1):
        text = str(entry).strip()
        if not text:
            continue
        if _SEQUENCE_ENTRY.match(text):
            problem = sequence_problem(text, molecule="miRNA")
            if problem is not None:
                raise InputError(problem, source=source, row=row)
            sequence = normalise_sequence(text)
            resolved.append((sequence, sequence))
            continue
        typed = _look_up(text, reference, lower_names)
        if typed.problem is not None:
            raise InputError(typed.problem, source=source, row=row)
        resolved.append((str(typed.name), typed.sequence))
    return resolved


def _lower_names(reference: Mapping[str, str]) -> dict[str, str]:
    """Lowercase name -> the reference's spelling (the first of names differing only in case)."""
    lower_names: dict[str, str] = {}
    for name in reference:
        lower_names.setdefault(str(name).lower(), str(name))
    return lower_names


def _look_up(text: str, reference: Mapping[str, str], lower_names: Mapping[str, str]) -> TypedMirna:
    """A name looked up in ``reference`` by the one name rule (:func:`rnaapp.io.reference.reference_name`).

    Kind ``name``, or ``unknown name`` (named by the first word of ``text``).
    """
    name = reference_name(text, reference, lower_names, getattr(reference, "accessions", None))
    if name is None:
        key = mirna_name_key(text) or text
        return TypedMirna("unknown name", text, key, "", _unknown_name_problem(key, lower_names))
    sequence = normalise_sequence(reference[name])
    problem = sequence_problem(sequence, molecule="miRNA", min_length=8, max_length=None)
    if problem is not None:
        problem = f"the reference sequence of {name} cannot be used: {problem}"
    return TypedMirna("name", text, name, sequence, problem)


#: What a miRNA box can hold (:attr:`TypedMirna.kind`).
TYPED_KINDS = ("empty", "sequence", "name", "unknown name")


@dataclass(frozen=True)
class TypedMirna:
    """What one miRNA box holds, as :func:`read_typed_mirna` reads it.

    Attributes
    ----------
    kind
        One of :data:`TYPED_KINDS`: ``"empty"`` (nothing typed), ``"sequence"`` (a sequence, or a pasted
        FASTA record), ``"name"`` (a name the reference knows) or ``"unknown name"`` (a name it does not
        know; models that find miRNAs by name, such as the miRNA–gene ones, can still score it).
    text
        What was typed, without surrounding whitespace.
    name
        The miRNA's name: the reference's spelling of a known name, the name typed for an unknown one, the
        header of a pasted FASTA record; None for a bare sequence or an empty box.
    sequence
        The miRNA's sequence, normalised (uppercase RNA); ``""`` for an empty box or an unknown name.
    problem
        Why the miRNA has no usable sequence, in words for the user (None when it has one): an empty box,
        letters other than ACGUTN or a length outside 15–30 nt, an unknown name (with close names from the
        reference), or a reference sequence that cannot be used.
    """

    kind: str
    text: str
    name: str | None
    sequence: str
    problem: str | None = None

    @property
    def usable(self) -> bool:
        """Whether :attr:`sequence` can be scored (no :attr:`problem`)."""
        return self.problem is None


def read_typed_mirna(text: str, reference: Mapping[str, str] | None = None) -> TypedMirna:
    """Say what a miRNA box holds: a sequence, a miRBase name, or neither (with the problem).

    The rule: a pasted FASTA record (``>name …`` and its sequence) is its sequence, named by the header's
    first word; one line whose first word has a ``-`` (every miRBase name has one, no sequence does) or is
    a miRBase accession (``MIMAT0000062``, any case) is a name, looked up as in :func:`resolve_mirnas`
    (words after it are a description); anything else is a sequence (DNA letters, lowercase and whitespace
    are fine).

    Parameters
    ----------
    text
        What was typed or pasted.
    reference
        Name -> sequence for names (with ``accessions`` for ``MIMAT`` accessions, as
        :func:`mirna_reference` gives); default: the configured one (:func:`mirna_reference`), read only
        when ``text`` is a name.

    Returns
    -------
    TypedMirna
        Its :attr:`~TypedMirna.kind`, name, normalised sequence and :attr:`~TypedMirna.problem` (None when
        the sequence can be scored).

    Raises
    ------
    InputError
        Only when a name needs the configured miRBase file and that file cannot be read.
    """
    stripped = str(text).strip()
    header, sequence_text = split_pasted_record(stripped)
    if header is None and not sequence_text:
        return TypedMirna(
            "empty", stripped, None, "", "the miRNA is empty: enter its miRBase name or its sequence"
        )
    if header is None and _names_a_mirna(sequence_text):
        if reference is None:
            reference = mirna_reference()
        return _look_up(sequence_text, reference, _lower_names(reference))
    sequence = normalise_sequence(sequence_text)
    if not sequence:
        problem: str | None = "miRNA sequence is empty"
    else:
        problem = sequence_letter_problem(sequence, "miRNA") or sequence_problem(sequence, molecule="miRNA")
    return TypedMirna("sequence", stripped, header, sequence, problem)


def _names_a_mirna(text: str) -> bool:
    """Whether one typed line names a miRNA (words after its first are a description).

    It does when its first word has a ``-`` (every miRBase name has one, no sequence does) or is a miRBase
    accession (``MIMAT0000062``).
    """
    key = mirna_name_key(text)
    return "\n" not in text.strip() and ("-" in key or is_mirbase_accession(key))


def _is_nucleotide_text(text: str) -> bool:
    """Whether at least 80 % of the letters of ``text`` are nucleotide letters (ACGUTN, any case)."""
    letters = [letter for letter in text.upper() if letter.isalpha()]
    return bool(letters) and sum(letter in "ACGUTN" for letter in letters) >= 0.8 * len(letters)


def _unknown_name_problem(text: str, lower_names: Mapping[str, str]) -> str:
    if is_mirbase_accession(text):
        if len(lower_names) < 100:
            return (
                f"unknown miRBase accession {text!r}: only the built-in miRNAs are known; set the miRBase "
                "file (mature.fa) in Settings, or enter the name or sequence"
            )
        return f"unknown miRBase accession {text!r}; check it, or enter the name or sequence"
    if "-" not in text and _is_nucleotide_text(text):
        # Mostly nucleotide letters: a mistyped sequence, not a name.
        letters = sequence_letter_problem(normalise_sequence(text), "miRNA")
        return letters or f"miRNA {text!r} is not a miRBase name, and as a sequence it is too short"
    problem = f"unknown miRNA name {text!r}"
    close = _suggestions(text, lower_names) if lower_names else []
    if close:
        return f"{problem}; did you mean {', '.join(close)}?"
    if len(lower_names) < 100:
        return f"{problem}; enter its sequence instead, or set the miRBase file (mature.fa) in Settings"
    return f"{problem}; check the spelling (e.g. hsa-miR-21-5p) or enter its sequence"
