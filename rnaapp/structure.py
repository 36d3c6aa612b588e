"""Secondary structure, miRNA-target duplexes and target accessibility, computed with ViennaRNA.

Thin wrappers around the ``RNA`` Python package (ViennaRNA 2.7) that return frozen dataclasses and NumPy
arrays. Temperatures go through a fresh :class:`RNA.md` model-details object per call; the global
``RNA.cvar`` defaults are only ever read, never written. Energies are free energies in kcal/mol relative
to the unpaired strands (negative = stable).

Sequences are normalised uppercase RNA (``ACGU``, possibly ``N``, which never pairs), miRNA and target
both written 5'->3'.
"""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import RNA

#: What ``RNA.duplexfold`` reports as the energy when not a single base pair can form.
_NO_DUPLEX_ENERGY = 1e5


def _model_details(temperature: float) -> RNA.md:
    """A model-details object with the current defaults and the given temperature (degrees Celsius)."""
    model_details = RNA.md()
    model_details.temperature = temperature
    return model_details


def _require_sequence(sequence: str, name: str) -> None:
    if not sequence:
        raise ValueError(f"{name} must be a non-empty sequence")


@dataclass(frozen=True)
class Fold:
    """Minimum free energy structure of one sequence.

    Attributes
    ----------
    sequence
        The folded sequence.
    structure
        Dot-bracket structure, same length as ``sequence``.
    mfe
        Minimum free energy in kcal/mol.
    """

    sequence: str
    structure: str
    mfe: float


def fold(sequence: str, *, temperature: float = 37.0) -> Fold:
    """Fold a single sequence to its minimum free energy structure.

    Parameters
    ----------
    sequence
        RNA, 5'->3'.
    temperature
        Folding temperature in degrees Celsius.

    Returns
    -------
    Fold
    """
    _require_sequence(sequence, "sequence")
    structure, energy = RNA.fold_compound(sequence, _model_details(temperature)).mfe()
    return Fold(sequence=sequence, structure=structure, mfe=float(energy))


@dataclass(frozen=True)
class Hybrid:
    """Best miRNA-target duplex without intramolecular pairs, as ``RNA.duplexfold`` (RNAduplex) reports it.

    Attributes
    ----------
    mirna, target
        The full input sequences, 5'->3'.
    structure
        RNAduplex-style ``"<miRNA part>&<target part>"``: the miRNA part covers miRNA positions
        ``mirna_start..mirna_end`` (``(`` = paired), the target part covers ``target_start..target_end``
        (``)`` = paired). As in RNAduplex, each part reaches one unpaired (dangling) nucleotide past the
        outermost pair where the sequence has one.
    energy
        Duplex free energy in kcal/mol (duplex initiation and dangles included). ``0.0`` when not a single
        base pair can form (RNAduplex then reports an energy of 100000).
    mirna_start, mirna_end, target_start, target_end
        1-based inclusive bounds of the two parts of ``structure`` (``mirna_end`` and ``target_start`` are
        the ``i`` and ``j`` that ``RNA.duplexfold`` reports).
    pairs
        ``(miRNA position, target position)`` base pairs, 1-based within the full sequences, ordered along
        the target 5'->3' (so the miRNA positions decrease). G:U pairs included.
    """

    mirna: str
    target: str
    structure: str
    energy: float
    mirna_start: int
    mirna_end: int
    target_start: int
    target_end: int
    pairs: tuple[tuple[int, int], ...]


def _hybrid_from_parts(
    mirna: str,
    target: str,
    mirna_part: str,
    target_part: str,
    energy: float,
    mirna_end: int,
    target_start: int,
) -> Hybrid:
    """Build a :class:`Hybrid` from the two halves of an RNAduplex structure and its ``i``/``j``."""
    mirna_start = mirna_end - len(mirna_part) + 1
    mirna_paired = [mirna_start + offset for offset, symbol in enumerate(mirna_part) if symbol == "("]
    target_paired = [target_start + offset for offset, symbol in enumerate(target_part) if symbol == ")"]
    # All pairs are intermolecular and nested: the 3'-most paired miRNA base pairs the 5'-most target base.
    pairs = tuple(zip(reversed(mirna_paired), target_paired, strict=True))
    return Hybrid(
        mirna=mirna,
        target=target,
        structure=f"{mirna_part}&{target_part}",
        energy=float(energy),
        mirna_start=mirna_start,
        mirna_end=mirna_end,
        target_start=target_start,
        target_end=target_start + len(target_part) - 1,
        pairs=pairs,
    )


def _no_duplex(mirna: str, target: str) -> Hybrid:
    return Hybrid(
        mirna=mirna,
        target=target,
        structure="." * len(mirna) + "&" + "." * len(target),
        energy=0.0,
        mirna_start=1,
        mirna_end=len(mirna),
        target_start=1,
        target_end=len(target),
        pairs=(),
    )


def _duplexfold_with_model(mirna: str, target: str, model_details: RNA.md) -> Hybrid:
    """RNAduplex's model at any temperature: a connected-dimer MFE with intramolecular pairs forbidden.

    ``RNA.duplexfold`` only reads the global defaults. With every intramolecular pair forbidden by hard
    constraints, all remaining pairs are intermolecular and therefore nested (no multiloops), and
    ``fold_compound.mfe()`` on a two-strand compound only returns connected structures: the same energy
    model and search space as ``RNA.duplexfold``, whose energies it reproduces exactly at the default
    temperature (checked in the tests). The reported region follows RNAduplex: the pairs plus one
    dangling nucleotide on each side where available.
    """
    mirna_length = len(mirna)
    total_length = mirna_length + len(target)
    compound = RNA.fold_compound(f"{mirna}&{target}", model_details)
    forbid = RNA.CONSTRAINT_CONTEXT_NONE | RNA.CONSTRAINT_CONTEXT_NO_REMOVE
    for first, last in ((1, mirna_length), (mirna_length + 1, total_length)):
        for i in range(first, last + 1):
            for j in range(i + 1, last + 1):
                compound.hc_add_bp(i, j, forbid)
    structure, energy = compound.mfe()
    structure = structure.replace("&", "")
    if energy >= _NO_DUPLEX_ENERGY / 10:
        return _no_duplex(mirna, target)
    open_positions: list[int] = []
    pairs: list[tuple[int, int]] = []
    for position, symbol in enumerate(structure, start=1):
        if symbol == "(":
            open_positions.append(position)
        elif symbol == ")":
            pairs.append((open_positions.pop(), position - mirna_length))
    mirna_paired = {mirna_position for mirna_position, _ in pairs}
    target_paired = {target_position for _, target_position in pairs}
    mirna_start, mirna_end = max(min(mirna_paired) - 1, 1), min(max(mirna_paired) + 1, mirna_length)
    target_start, target_end = max(min(target_paired) - 1, 1), min(max(target_paired) + 1, len(target))
    mirna_part = "".join("(" if p in mirna_paired else "." for p in range(mirna_start, mirna_end + 1))
    target_part = "".join(")" if p in target_paired else "." for p in range(target_start, target_end + 1))
    return _hybrid_from_parts(mirna, target, mirna_part, target_part, energy, mirna_end, target_start)


def hybridize(mirna: str, target: str, *, temperature: float = 37.0) -> Hybrid:
    """Best duplex of a miRNA with a target, ignoring intramolecular structure (RNAduplex model).

    At the default temperature (that of the global ViennaRNA defaults, normally 37 degC) this is
    ``RNA.duplexfold(mirna, target)``. ``RNA.duplexfold`` cannot take a temperature without changing the
    global defaults, so other temperatures use an equivalent constrained dimer fold with a private
    :class:`RNA.md` (same energy model; see ``_duplexfold_with_model``).

    Parameters
    ----------
    mirna
        Mature miRNA, 5'->3'.
    target
        Target RNA, 5'->3'.
    temperature
        Temperature in degrees Celsius.

    Returns
    -------
    Hybrid
        The duplex is always reported, even when its energy is positive; ``energy`` is ``0.0`` and
        ``pairs`` empty only when no base pair can form at all.
    """
    _require_sequence(mirna, "mirna")
    _require_sequence(target, "target")
    if temperature != RNA.cvar.temperature:
        return _duplexfold_with_model(mirna, target, _model_details(temperature))
    duplex = RNA.duplexfold(mirna, target)
    if duplex.energy >= _NO_DUPLEX_ENERGY / 10:
        return _no_duplex(mirna, target)
    mirna_part, target_part = duplex.structure.split("&")
    return _hybrid_from_parts(mirna, target, mirna_part, target_part, duplex.energy, duplex.i, duplex.j)


#: Target nucleotides (summed over the distinct pairs) from which :func:`hybrid_energies` works in
#: parallel processes: below it, starting them (about a second) costs more than it saves.
PARALLEL_DUPLEX_NT = 200_000

#: Most processes :func:`hybrid_energies` starts, and the fewest cores with which it starts any.
MAX_DUPLEX_WORKERS = 8
MIN_DUPLEX_CORES = 4


def _duplex_energy_task(task: tuple[str, str, float]) -> float:
    """Worker body of :func:`hybrid_energies`: ``(miRNA, target, temperature)`` -> duplex energy."""
    mirna, target, temperature = task
    return hybridize(mirna, target, temperature=temperature).energy


def _duplex_workers(work_nt: int, pairs: int) -> int:
    """Processes for :func:`hybrid_energies`.

    1 for little work, inside a daemonic process or with fewer than :data:`MIN_DUPLEX_CORES` cores (on two
    cores shared with other work, two processes measured slower than one: 8.8 s against 7.8 s for 300
    lncRNA pairs); else one per core, at most :data:`MAX_DUPLEX_WORKERS` and one per pair.
    """
    if work_nt < PARALLEL_DUPLEX_NT or pairs < 2 or multiprocessing.current_process().daemon:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        cores = os.cpu_count() or 1
    return 1 if cores < MIN_DUPLEX_CORES else max(1, min(cores, MAX_DUPLEX_WORKERS, pairs))


def hybrid_energies(
    mirnas: Sequence[str],
    targets: Sequence[str],
    *,
    temperature: float = 37.0,
    progress: Callable[[int, int], None] | None = None,
    workers: int | None = None,
) -> np.ndarray:
    """Duplex free energy (:func:`hybridize`) of each (miRNA, target) pair.

    RNAduplex's dynamic programme costs about ``len(miRNA) * len(target) * 30**2`` steps, all inside
    ViennaRNA (77 ms for a 3.5-kb lncRNA): its result is exact over the whole target, and no cheaper exact
    split exists (a duplex may span ~30 nt per miRNA nucleotide, so windows would overlap as much as they
    save). What can be saved is repeated work and idle cores: each distinct pair is computed once, and
    more than :data:`PARALLEL_DUPLEX_NT` target nucleotides are spread over processes, longest first.
    The energies are those of :func:`hybridize`, pair by pair, whichever way they are computed.

    Parameters
    ----------
    mirnas, targets
        Equal-length sequences; pair ``i`` is ``(mirnas[i], targets[i])``.
    temperature
        Temperature in degrees Celsius.
    progress
        Optional ``progress(done, total)`` callback over the pairs, called after each pair that ends 1 % of
        the pairs or comes at least 0.1 s after the last call (a long target takes that long), and at the
        end.
    workers
        Processes (fresh interpreters); None = automatic (:func:`_duplex_workers`), 1 = this process.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_pairs,)``, dtype ``float32``, kcal/mol.
    """
    if len(mirnas) != len(targets):
        raise ValueError(f"got {len(mirnas)} miRNAs but {len(targets)} targets")
    pairs = list(zip(mirnas, targets, strict=True))
    total = len(pairs)
    energies = np.empty(total, dtype=np.float32)
    rows: dict[tuple[str, str], list[int]] = {}
    for index, pair in enumerate(pairs):
        rows.setdefault(pair, []).append(index)
    # Longest targets first, so that the processes finish together and the rate settles early.
    distinct = sorted(rows, key=lambda pair: -len(pair[1]))
    if workers is None:
        workers = _duplex_workers(sum(len(target) for _, target in distinct), len(distinct))
    report_every = max(1, total // 100)
    done, reported, last = 0, 0, time.monotonic()

    def record(pair: tuple[str, str], energy: float) -> None:
        nonlocal done, reported, last
        for index in rows[pair]:
            energies[index] = energy
        done += len(rows[pair])
        if progress is None:
            return
        now = time.monotonic()
        if done // report_every > reported // report_every or done == total or now - last >= 0.1:
            reported, last = done, now
            progress(done, total)

    tasks = [(mirna, target, temperature) for mirna, target in distinct]
    if workers > 1 and len(tasks) > 1:
        # Fresh interpreters (spawn): forking a threaded process such as the app's server can hang.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=context) as pool:
            for pair, energy in zip(distinct, pool.map(_duplex_energy_task, tasks, chunksize=4), strict=True):
                record(pair, energy)
    else:
        for pair, task in zip(distinct, tasks, strict=True):
            record(pair, _duplex_energy_task(task))
    return energies


#: The pair :func:`duplex_seconds_per_step` times: a random 22-nt miRNA and a random 1,000-nt target.
_PROBE_MIRNA_LENGTH, _PROBE_TARGET_LENGTH = 22, 1000


@functools.cache
def duplex_seconds_per_step() -> float:
    """Seconds that ``RNA.duplexfold`` takes per miRNA nucleotide x target nucleotide on this computer.

    Timed once per process on a fixed random 22 x 1,000-nt pair (best of three, about 0.1 s in all): the
    programme's cost grows with the product of the two lengths (measured 4.9, 13, 27, 54 and 119 ms for
    200, 500, 1,000, 2,000 and 4,000-nt targets and a 22-nt miRNA).
    """
    generator = random.Random(0)
    mirna = "".join(generator.choice("ACGU") for _ in range(_PROBE_MIRNA_LENGTH))
    target = "".join(generator.choice("ACGU") for _ in range(_PROBE_TARGET_LENGTH))
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        RNA.duplexfold(mirna, target)
        best = min(best, time.perf_counter() - start)
    return best / (_PROBE_MIRNA_LENGTH * _PROBE_TARGET_LENGTH)


def estimate_hybrid_seconds(mirnas: Sequence[str], targets: Sequence[str]) -> float:
    """About how long :func:`hybrid_energies` will take on these pairs here, before it starts.

    The work of each distinct pair (miRNA length x target length) times :func:`duplex_seconds_per_step`,
    shared by the processes :func:`hybrid_energies` would start (plus about a second to start them).

    Parameters
    ----------
    mirnas, targets
        Equal-length sequences; pair ``i`` is ``(mirnas[i], targets[i])``.

    Returns
    -------
    float
        Estimated seconds (0.0 for no pairs).
    """
    distinct = set(zip(mirnas, targets, strict=True))
    if not distinct:
        return 0.0
    steps = sum(len(mirna) * len(target) for mirna, target in distinct)
    workers = _duplex_workers(sum(len(target) for _, target in distinct), len(distinct))
    return steps * duplex_seconds_per_step() / workers + (1.0 if workers > 1 else 0.0)


@dataclass(frozen=True)
class Dimer:
    """Minimum free energy structure of the miRNA-target dimer, intramolecular pairs allowed.

    Attributes
    ----------
    structure
        ``"<miRNA structure>&<target structure>"`` in dot-bracket; brackets may pair across the ``&``.
    energy
        Free energy in kcal/mol; the best of the connected dimer and the two strands folded apart.
    mirna_structure, target_structure
        The two halves of ``structure``.
    """

    structure: str
    energy: float
    mirna_structure: str
    target_structure: str


def cofold(mirna: str, target: str, *, temperature: float = 37.0) -> Dimer:
    """Co-fold a miRNA with its target (RNAcofold MFE, ``fold_compound.mfe_dimer``).

    Parameters
    ----------
    mirna
        Mature miRNA, 5'->3'.
    target
        Target RNA, 5'->3'.
    temperature
        Temperature in degrees Celsius.

    Returns
    -------
    Dimer
    """
    _require_sequence(mirna, "mirna")
    _require_sequence(target, "target")
    compound = RNA.fold_compound(f"{mirna}&{target}", _model_details(temperature))
    structure, energy = compound.mfe_dimer()
    structure = structure.replace("&", "")
    mirna_structure, target_structure = structure[: len(mirna)], structure[len(mirna) :]
    return Dimer(
        structure=f"{mirna_structure}&{target_structure}",
        energy=float(energy),
        mirna_structure=mirna_structure,
        target_structure=target_structure,
    )


def accessibility(
    target: str,
    *,
    window: int = 80,
    span: int = 40,
    unpaired_length: int = 14,
    temperature: float = 37.0,
) -> np.ndarray:
    """Probability that the stretch starting at each target position is unpaired (RNAplfold ``-u``).

    Local base-pair probabilities are computed as by ``RNA.pfl_fold_up`` (RNAplfold: sliding windows of
    ``window`` nt, base pairs spanning at most ``span`` nt), but through ``fold_compound.probs_window``
    with a private model-details object so that ``temperature`` applies. ``window`` is clamped to the
    target length and ``span`` to ``window``, so short targets work.

    Parameters
    ----------
    target
        Target RNA, 5'->3'.
    window
        RNAplfold window size (``-W``).
    span
        Maximum base-pair span (``-L``).
    unpaired_length
        Length ``u`` of the stretch that must be unpaired (``-u``).
    temperature
        Temperature in degrees Celsius.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(target),)``, float64 in ``[0, 1]``. Entry ``p`` (0-based) is the probability that
        target positions ``p .. p + u - 1`` are all unpaired, with ``u = unpaired_length``; near the 3'
        end, where fewer than ``u`` positions remain, the stretch is shortened to ``p .. len(target) - 1``.
        (RNAplfold itself indexes stretches by their last position; entry ``p`` here equals its value for
        the stretch ending at 1-based position ``p + u``.)
    """
    _require_sequence(target, "target")
    if unpaired_length < 1 or window < 1 or span < 1:
        raise ValueError("window, span and unpaired_length must be positive")
    length = len(target)
    stretch = min(unpaired_length, length)
    model_details = _model_details(temperature)
    model_details.window_size = min(window, length)
    model_details.max_bp_span = min(span, model_details.window_size)
    compound = RNA.fold_compound(target, model_details, RNA.OPTION_WINDOW)
    # unpaired_ending[i, l]: probability that the l-nt stretch ending at 1-based position i is unpaired.
    unpaired_ending = np.zeros((length + 1, stretch + 1))

    def collect(values, size, position, max_size, what, data=None):
        if what & RNA.PROBS_WINDOW_UP:
            unpaired_ending[position, 1 : size + 1] = values[1 : size + 1]

    compound.probs_window(stretch, RNA.PROBS_WINDOW_UP, collect)
    starts = np.arange(length)
    lengths = np.minimum(stretch, length - starts)
    return np.clip(unpaired_ending[starts + lengths, lengths], 0.0, 1.0)


@dataclass(frozen=True)
class DuplexDiagram:
    """RNAhybrid-style text picture of a duplex.

    Attributes
    ----------
    lines
        Four equal-length lines: target unpaired bases, target paired bases, miRNA paired bases, miRNA
        unpaired bases. The target reads 5'->3' left to right on the top two lines, the miRNA 3'->5' on the
        bottom two; paired bases face each other in the same column, gaps are spaces.
    pairs
        The ``(miRNA position, target position)`` pairs drawn, 1-based.
    """

    lines: tuple[str, str, str, str]
    pairs: tuple[tuple[int, int], ...]

    def text(self) -> str:
        """The four lines with RNAhybrid's ``target 5'`` / ``miRNA  3'`` labels (monospaced)."""
        target_unpaired, target_paired, mirna_paired, mirna_unpaired = self.lines
        indent = " " * len("target 5' ")
        return "\n".join(
            (
                f"target 5' {target_unpaired} 3'",
                f"{indent}{target_paired}",
                f"{indent}{mirna_paired}",
                f"miRNA  3' {mirna_unpaired} 5'",
            )
        )


def duplex_diagram(hybrid: Hybrid) -> DuplexDiagram:
    """Draw a duplex the way RNAhybrid prints its hits.

    Columns run along the target 5'->3'. Each base pair (G:U included) is one column with the target base
    on line 2 and the miRNA base on line 3. Between consecutive pairs, the unpaired target bases go on
    line 1 and the unpaired miRNA bases (read 3'->5') on line 4, left-aligned in a block as wide as the
    longer side, so bulges on either side and interior loops of unequal length keep the pairs aligned.
    The whole miRNA is shown (its unpaired 3' end right-aligned before the first pair, its unpaired 5' end
    after the last), and the target over ``hybrid.target_start .. hybrid.target_end`` (the pairs plus
    RNAduplex's one dangling nucleotide per side). Reading line 1 and 2 together column by column, spaces
    removed, gives that target stretch 5'->3'; lines 3 and 4 give the miRNA 3'->5'.

    Parameters
    ----------
    hybrid
        A duplex from :func:`hybridize`.

    Returns
    -------
    DuplexDiagram
    """
    mirna, target = hybrid.mirna, hybrid.target
    # One entry per column: (target unpaired, target paired, miRNA paired, miRNA unpaired).
    columns: list[tuple[str, str, str, str]] = []

    def add_unpaired_block(target_bases: str, mirna_bases: str, *, align_right: bool) -> None:
        width = max(len(target_bases), len(mirna_bases))
        if align_right:
            target_bases, mirna_bases = target_bases.rjust(width), mirna_bases.rjust(width)
        else:
            target_bases, mirna_bases = target_bases.ljust(width), mirna_bases.ljust(width)
        columns.extend((t, " ", " ", m) for t, m in zip(target_bases, mirna_bases, strict=True))

    pairs = tuple(sorted(hybrid.pairs, key=lambda pair: pair[1]))
    if not pairs:
        add_unpaired_block(
            target[hybrid.target_start - 1 : hybrid.target_end], mirna[::-1], align_right=False
        )
        lines = tuple("".join(column[row] for column in columns) for row in range(4))
        return DuplexDiagram(lines=lines, pairs=())

    first_mirna, first_target = pairs[0]
    # Before the first pair: target 5' dangle, miRNA 3' end (reversed).
    add_unpaired_block(
        target[hybrid.target_start - 1 : first_target - 1], mirna[first_mirna:][::-1], align_right=True
    )
    for index, (mirna_position, target_position) in enumerate(pairs):
        columns.append((" ", target[target_position - 1], mirna[mirna_position - 1], " "))
        if index + 1 < len(pairs):
            next_mirna, next_target = pairs[index + 1]
            add_unpaired_block(
                target[target_position : next_target - 1],
                mirna[next_mirna : mirna_position - 1][::-1],
                align_right=False,
            )
    last_mirna, last_target = pairs[-1]
    # After the last pair: target 3' dangle, miRNA 5' end (reversed).
    add_unpaired_block(
        target[last_target : hybrid.target_end], mirna[: last_mirna - 1][::-1], align_right=False
    )
    lines = tuple("".join(column[row] for column in columns) for row in range(4))
    return DuplexDiagram(lines=lines, pairs=pairs)


def _fold_task(task: tuple[str, float, int, int]) -> tuple[str, float]:
    """Worker body of :func:`fold_many`: ``(sequence, temperature, max_bp_span, window)`` -> ``(structure, mfe)``.

    With ``window > 0`` a longer sequence is folded as consecutive ``window``-nt pieces whose structures and
    energies are joined.
    """
    sequence, temperature, max_bp_span, window = task
    model_details = _model_details(temperature)
    if max_bp_span > 0:
        model_details.max_bp_span = max_bp_span
    step = window if window > 0 else len(sequence)
    structures, total_energy = [], 0.0
    for start in range(0, len(sequence), step):
        structure, energy = RNA.fold_compound(sequence[start : start + step], model_details).mfe()
        structures.append(structure)
        total_energy += float(energy)
    return "".join(structures), total_energy


class StructureCache:
    """MFE structures on disk, one small file per (sequence, folding settings), keyed by a SHA-1 hash.

    Folding a 4-kb lncRNA takes seconds, so structures are computed once and reused across feature runs,
    training runs and app sessions. Entries are written atomically (a crashed run never leaves half a file)
    and several processes may share one folder.

    Parameters
    ----------
    directory
        The cache folder; ``None`` = ``<rnaapp home>/cache/structures``.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        from rnaapp.settings import home_directory

        self.directory = (
            Path(directory) if directory is not None else home_directory() / "cache" / "structures"
        )

    @staticmethod
    def key(sequence: str, temperature: float, max_bp_span: int, window: int = 0) -> str:
        """The hash naming one entry."""
        text = f"{sequence}|T={temperature:g}|span={max_bp_span}|window={window}|vrna={RNA.__version__}"
        return hashlib.sha1(text.encode()).hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.txt"

    def get(self, key: str) -> tuple[str, float] | None:
        """The cached ``(structure, mfe)`` or None (also for an unreadable entry, which is then refolded)."""
        try:
            structure, energy = self._path(key).read_text().split("\t")
            return structure, float(energy)
        except (OSError, ValueError):
            return None

    def put(self, key: str, structure: str, energy: float) -> None:
        """Store one entry atomically."""
        from rnaapp.io import atomic_write

        atomic_write(
            self._path(key), lambda temporary: Path(temporary).write_text(f"{structure}\t{energy!r}")
        )


def fold_many(
    sequences: Sequence[str],
    *,
    temperature: float = 37.0,
    max_bp_span: int = 0,
    window: int = 0,
    cache: StructureCache | None | bool = None,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[str]:
    """MFE dot-bracket structures of many sequences, folded in parallel and cached on disk.

    Parameters
    ----------
    sequences
        RNA sequences, 5'->3' (duplicates are folded once).
    temperature
        Folding temperature in degrees Celsius.
    max_bp_span
        Longest base pair allowed (nt), 0 = unlimited. A span of 100-200 nt folds long RNAs in linear time
        (local structure, as RNALfold/RNAplfold do) where the full fold grows with the cube of the length.
    window
        Fold sequences longer than this as consecutive pieces of ``window`` nt (0 = whole). With a span of
        150, 300-nt pieces fold a 4-kb lncRNA in 0.6 s instead of 6 s (20 s unrestricted), keeping local
        hairpins and losing only pairs across piece borders.
    cache
        Where structures are kept: a :class:`StructureCache`, ``None`` for the default folder, or ``False``
        for no cache.
    workers
        Processes folding in parallel (1 = in this process; also in-process inside a daemonic process such
        as a Dask worker).
    progress
        Optional ``progress(done, total)`` over the distinct sequences.

    Returns
    -------
    list of str
        One structure per input sequence, same length as the sequence.
    """
    if cache is None:
        cache = StructureCache()
    distinct = list(dict.fromkeys(sequences))
    for sequence in distinct:
        _require_sequence(sequence, "sequence")
    structures: dict[str, str] = {}
    missing: list[tuple[str, str]] = []
    for sequence in distinct:
        key = StructureCache.key(sequence, temperature, max_bp_span, window)
        entry = cache.get(key) if cache else None
        if entry is None:
            missing.append((sequence, key))
        else:
            structures[sequence] = entry[0]
    total, done = len(distinct), len(distinct) - len(missing)
    if progress is not None:
        progress(done, total)
    # Longest first, so that the slowest folds start early and the pool finishes together.
    missing.sort(key=lambda item: -len(item[0]))
    tasks = [(sequence, temperature, max_bp_span, window) for sequence, _ in missing]

    def record(item: tuple[str, str], result: tuple[str, float]) -> None:
        nonlocal done
        structures[item[0]] = result[0]
        if cache:
            cache.put(item[1], *result)
        done += 1
        if progress is not None:
            progress(done, total)

    # Daemonic processes (Dask workers, pool workers) may not start children: they fold in-process. Fresh
    # interpreters (spawn), because forking a threaded process such as the app's server can hang.
    if workers > 1 and len(tasks) > 1 and not multiprocessing.current_process().daemon:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(min(workers, len(tasks)), mp_context=context) as pool:
            for item, result in zip(missing, pool.map(_fold_task, tasks, chunksize=1), strict=True):
                record(item, result)
    else:
        for item, task in zip(missing, tasks, strict=True):
            record(item, _fold_task(task))
    return [structures[sequence] for sequence in sequences]
