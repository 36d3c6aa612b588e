from __future__ import annotations

import random
from itertools import pairwise

import numpy as np
import pytest
import RNA

from rnaapp.sites import reverse_complement
from rnaapp.structure import (
    Dimer,
    Fold,
    Hybrid,
    _duplexfold_with_model,
    _model_details,
    accessibility,
    cofold,
    duplex_diagram,
    duplex_seconds_per_step,
    estimate_hybrid_seconds,
    fold,
    hybrid_energies,
    hybridize,
)

LET_7A = "UGAGGUAGUAGGUUGUAUAGUU"
MIR_155 = "UUAAUGCUAAUCGUGAUAGGGGU"
PAIRING = {("A", "U"), ("U", "A"), ("G", "C"), ("C", "G"), ("G", "U"), ("U", "G")}


def _random_rna(rng: random.Random, length: int) -> str:
    return "".join(rng.choice("ACGU") for _ in range(length))


def _random_pairs(count: int, seed: int) -> list[tuple[str, str]]:
    """miRNA/target pairs; half the targets carry a mutated reverse complement, so duplexes have loops."""
    rng = random.Random(seed)
    pairs = []
    for index in range(count):
        mirna = _random_rna(rng, rng.randint(19, 24))
        target = list(_random_rna(rng, rng.randint(30, 60)))
        if index % 2 == 0:
            site = list(reverse_complement(mirna))
            for _ in range(rng.randint(1, 4)):  # point mutations, insertions and deletions
                position = rng.randrange(len(site))
                action = rng.choice(("mutate", "insert", "delete"))
                if action == "mutate":
                    site[position] = rng.choice("ACGU")
                elif action == "insert":
                    site.insert(position, rng.choice("ACGU") * rng.randint(1, 3))
                else:
                    del site[position]
            start = rng.randint(0, 5)
            target[start : start + len(site)] = site
        pairs.append((mirna, "".join(target)))
    return pairs


def test_model_details_do_not_touch_globals():
    before = RNA.cvar.temperature
    details = _model_details(20.0)
    assert details.temperature == 20.0
    assert RNA.cvar.temperature == before


def test_fold_hairpin():
    result = fold("GGGGAAAACCCC")
    assert isinstance(result, Fold)
    assert result.structure == "((((....))))"
    assert result.mfe < 0
    structure, energy = RNA.fold("GGGGAAAACCCC")
    assert (result.structure, result.mfe) == (structure, pytest.approx(energy))


def test_fold_is_less_stable_when_hot():
    sequence = "GGGCGCAAGCCGAAAGGCUUGCGCCC"
    assert fold(sequence, temperature=70.0).mfe > fold(sequence, temperature=37.0).mfe
    assert RNA.cvar.temperature == 37.0


@pytest.mark.parametrize("mirna", [LET_7A, MIR_155])
def test_hybridize_matches_duplexfold(mirna):
    target = "GGGAAA" + reverse_complement(mirna) + "AAAGG"
    hybrid = hybridize(mirna, target)
    duplex = RNA.duplexfold(mirna, target)
    assert isinstance(hybrid, Hybrid)
    assert hybrid.energy == pytest.approx(duplex.energy)
    assert hybrid.structure == duplex.structure
    assert (hybrid.mirna_end, hybrid.target_start) == (duplex.i, duplex.j)
    assert hybrid.energy < -25
    # Perfect complement: miRNA position k pairs with target position 6 + len(mirna) + 1 - k.
    assert len(hybrid.pairs) == len(mirna)
    assert all(m + t == 6 + len(mirna) + 1 for m, t in hybrid.pairs)


def test_hybridize_region_and_pairs_are_consistent():
    for mirna, target in _random_pairs(60, seed=0):
        hybrid = hybridize(mirna, target)
        duplex = RNA.duplexfold(mirna, target)
        assert hybrid.energy == pytest.approx(duplex.energy)
        mirna_part, target_part = hybrid.structure.split("&")
        assert len(mirna_part) == hybrid.mirna_end - hybrid.mirna_start + 1
        assert len(target_part) == hybrid.target_end - hybrid.target_start + 1
        assert 1 <= hybrid.mirna_start <= hybrid.mirna_end <= len(mirna)
        assert 1 <= hybrid.target_start <= hybrid.target_end <= len(target)
        assert len(hybrid.pairs) == mirna_part.count("(") == target_part.count(")")
        for (m1, t1), (m2, t2) in pairwise(hybrid.pairs):
            assert t1 < t2 and m1 > m2  # nested, antiparallel
        for m, t in hybrid.pairs:
            assert (mirna[m - 1], target[t - 1]) in PAIRING
            assert mirna_part[m - hybrid.mirna_start] == "("
            assert target_part[t - hybrid.target_start] == ")"


def test_perfect_duplex_much_more_stable_than_random():
    rng = random.Random(1)
    random_target = _random_rna(rng, 40)
    perfect = hybridize(LET_7A, reverse_complement(LET_7A)).energy
    assert perfect < hybridize(LET_7A, random_target).energy - 15


def test_no_possible_pair_gives_zero_energy():
    hybrid = hybridize("AAAAAA", "AAAAAAAA")
    assert hybrid.energy == 0.0
    assert hybrid.pairs == ()
    assert hybridize("AAAAAA", "AAAAAAAA", temperature=25.0).energy == 0.0


def test_constrained_dimer_reproduces_duplexfold():
    for mirna, target in _random_pairs(40, seed=2):
        hybrid = _duplexfold_with_model(mirna, target, _model_details(RNA.cvar.temperature))
        assert hybrid.energy == pytest.approx(RNA.duplexfold(mirna, target).energy, abs=1e-4)


def test_temperature_changes_energy_without_touching_globals():
    target = "GGG" + reverse_complement(LET_7A) + "GGG"
    before = RNA.cvar.temperature
    cold = hybridize(LET_7A, target, temperature=20.0)
    warm = hybridize(LET_7A, target, temperature=37.0)
    hot = hybridize(LET_7A, target, temperature=60.0)
    assert RNA.cvar.temperature == before
    assert cold.energy < warm.energy < hot.energy < 0
    assert len(hot.pairs) > 0
    assert hybridize(LET_7A, target).energy == warm.energy  # the global default is untouched


def test_hybrid_energies_match_hybridize_and_report_progress():
    pairs = _random_pairs(30, seed=3)
    calls = []
    energies = hybrid_energies(
        [m for m, _ in pairs], [t for _, t in pairs], progress=lambda done, total: calls.append((done, total))
    )
    assert energies.dtype == np.float32
    assert energies.shape == (30,)
    expected = [hybridize(m, t).energy for m, t in pairs]
    np.testing.assert_allclose(energies, expected, rtol=1e-6)
    assert calls[-1] == (30, 30)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    with pytest.raises(ValueError):
        hybrid_energies(["ACGU"], [])


def test_hybrid_time_estimate_is_said_before_and_close_to_the_run():
    import time

    rng = random.Random(7)
    mirnas = [_random_rna(rng, 22) for _ in range(6)]
    targets = [_random_rna(rng, 1500) for _ in range(6)]
    assert duplex_seconds_per_step() > 0
    assert estimate_hybrid_seconds([], []) == 0.0
    # Repeated pairs are computed once, so they cost nothing more.
    estimate = estimate_hybrid_seconds(mirnas, targets)
    assert estimate_hybrid_seconds(mirnas * 3, targets * 3) == pytest.approx(estimate)
    assert estimate_hybrid_seconds(mirnas, [t + t for t in targets]) == pytest.approx(2 * estimate, rel=0.01)
    start = time.perf_counter()
    hybrid_energies(mirnas, targets, workers=1)
    measured = time.perf_counter() - start
    assert measured / 3 < estimate < measured * 3  # a shared machine is noisy; the order is what counts


def test_cofold_perfect_complement():
    target = reverse_complement(LET_7A)
    dimer = cofold(LET_7A, target)
    structure, energy = RNA.fold_compound(f"{LET_7A}&{target}", RNA.md()).mfe_dimer()
    assert isinstance(dimer, Dimer)
    assert dimer.energy == pytest.approx(energy)
    assert dimer.structure == f"{structure[: len(LET_7A)]}&{structure[len(LET_7A) :]}"
    assert dimer.mirna_structure == "(" * len(LET_7A)
    assert dimer.target_structure == ")" * len(target)
    assert dimer.energy < -30
    assert cofold(LET_7A, target, temperature=60.0).energy > dimer.energy


def test_cofold_keeps_strands_apart_when_better():
    dimer = cofold("GGGCGCAAAAGCGCCC", "AAAAAAAA")  # no A can pair with G or C: only the hairpin forms
    assert dimer.mirna_structure == "((((((....))))))"
    assert dimer.target_structure == "." * 8
    assert dimer.energy == pytest.approx(fold("GGGCGCAAAAGCGCCC").mfe)


def test_accessibility_shape_and_range():
    rng = random.Random(4)
    target = _random_rna(rng, 150)
    values = accessibility(target)
    assert values.shape == (150,)
    assert np.all((values >= 0.0) & (values <= 1.0))
    assert np.isfinite(values).all()


def test_accessibility_matches_plfold_convention():
    rng = random.Random(5)
    target = _random_rna(rng, 90)
    window, span, unpaired_length = 40, 25, 6
    values = accessibility(target, window=window, span=span, unpaired_length=unpaired_length)
    # RNA.pfl_fold_up: [i][u] = probability that the u-nt stretch ending at 1-based i is unpaired.
    reference = RNA.pfl_fold_up(target, unpaired_length, window, span)
    for start in range(len(target) - unpaired_length + 1):
        assert values[start] == pytest.approx(reference[start + unpaired_length][unpaired_length], abs=1e-9)
    last = len(target) - 1
    assert values[last] == pytest.approx(reference[len(target)][1], abs=1e-9)


def test_accessibility_loop_more_open_than_stem():
    target = "GGGGCGCCAAAAAAAAGGCGCCCC"
    values = accessibility(target, unpaired_length=1)
    assert values[10] > 0.5 > values[2]
    assert accessibility(target, unpaired_length=1, temperature=90.0)[2] > values[2]


def test_accessibility_short_target():
    values = accessibility("GGGAAACCC", window=80, span=40, unpaired_length=14)
    assert values.shape == (9,)
    assert np.all((values >= 0.0) & (values <= 1.0))


def _diagram_columns_are_consistent(hybrid: Hybrid) -> None:
    diagram = duplex_diagram(hybrid)
    target_unpaired, target_paired, mirna_paired, mirna_unpaired = diagram.lines
    assert len({len(line) for line in diagram.lines}) == 1
    for column in zip(*diagram.lines, strict=True):
        top, target_base, mirna_base, bottom = column
        if target_base != " " or mirna_base != " ":
            assert (mirna_base, target_base) in PAIRING
            assert top == bottom == " "
    assert sum(base != " " for base in target_paired) == len(hybrid.pairs)
    merged_target = "".join(
        t if t != " " else p for t, p in zip(target_unpaired, target_paired, strict=True)
    ).replace(" ", "")
    merged_mirna = "".join(
        m if m != " " else p for m, p in zip(mirna_unpaired, mirna_paired, strict=True)
    ).replace(" ", "")
    assert merged_target == hybrid.target[hybrid.target_start - 1 : hybrid.target_end]
    assert merged_mirna == hybrid.mirna[::-1]
    lines = diagram.text().splitlines()
    assert lines[0].startswith("target 5' ") and lines[0].endswith(" 3'")
    assert lines[3].startswith("miRNA  3' ") and lines[3].endswith(" 5'")


def test_duplex_diagram_perfect_duplex():
    target = "GGG" + reverse_complement(LET_7A) + "GGG"
    diagram = duplex_diagram(hybridize(LET_7A, target))
    assert diagram.lines[1].strip() == reverse_complement(LET_7A)
    assert diagram.lines[2].strip() == LET_7A[::-1]
    assert diagram.text().splitlines()[1].rstrip() == " " * 11 + reverse_complement(LET_7A)


def test_duplex_diagram_unequal_interior_loop_and_bulges():
    # Hand-made duplex: a 3x2 interior loop (target GGG against miRNA AA) and a 1-nt target bulge (U).
    mirna = "GACUAAUG"  # read 3'->5': GUAAUCAG
    target = "CAGGGAGUUC"
    pairs = ((8, 1), (7, 2), (4, 6), (3, 7), (2, 9), (1, 10))
    hybrid = Hybrid(mirna, target, "((((..((&))...)).))", 0.0, 1, 8, 1, 10, pairs)
    diagram = duplex_diagram(hybrid)
    assert diagram.lines == (
        "  GGG  U  ",
        "CA   AG UC",
        "GU   UC AG",
        "  AA      ",
    )
    _diagram_columns_are_consistent(hybrid)


@pytest.mark.parametrize(
    ("mirna", "target", "expected_lines"),
    [
        # 1-nt miRNA bulge (A at miRNA position 5); miRNA 3' GG overhang right-aligned before the first pair.
        ("UAGCAGCACGG", "AAGUGCGCUACC", (" A         C", "  GUGC GCUA ", "  CACG CGAU ", "GG    A     ")),
        # 3x1 interior loop: target AAA against miRNA A, left-aligned in a 3-column block.
        (
            "UAGCAGCACGG",
            "AAGUGCAAAGCUACC",
            (" A    AAA    C", "  GUGC   GCUA ", "  CACG   CGAU ", "GG    A       "),
        ),
        # 2-nt target bulge (AA).
        (
            "GGCAUCAGCACU",
            "AGUGCUGAAAUGCCA",
            ("        AA    A", "AGUGCUGA  UGCC ", "UCACGACU  ACGG ", "               "),
        ),
    ],
)
def test_duplex_diagram_bulges_and_loops(mirna, target, expected_lines):
    hybrid = hybridize(mirna, target)
    assert duplex_diagram(hybrid).lines == expected_lines
    _diagram_columns_are_consistent(hybrid)


def test_duplex_diagram_on_many_duplexes():
    loops_seen = {"mirna_bulge": False, "target_bulge": False, "unequal_interior": False}
    for mirna, target in _random_pairs(80, seed=6):
        hybrid = hybridize(mirna, target)
        _diagram_columns_are_consistent(hybrid)
        for (m1, t1), (m2, t2) in pairwise(hybrid.pairs):
            mirna_gap, target_gap = m1 - m2 - 1, t2 - t1 - 1
            loops_seen["mirna_bulge"] |= mirna_gap > 0 and target_gap == 0
            loops_seen["target_bulge"] |= target_gap > 0 and mirna_gap == 0
            loops_seen["unequal_interior"] |= 0 < mirna_gap != target_gap > 0
    assert all(loops_seen.values()), loops_seen


def test_duplex_diagram_without_pairs():
    hybrid = hybridize("AAAAAA", "AAAAAAAA")
    diagram = duplex_diagram(hybrid)
    assert diagram.pairs == ()
    _diagram_columns_are_consistent(hybrid)


def test_fold_many_caches_on_disk_and_folds_duplicates_once(tmp_path):
    from rnaapp.structure import StructureCache, fold, fold_many

    cache = StructureCache(tmp_path / "structures")
    rng = random.Random(3)
    sequences = ["".join(rng.choice("ACGU") for _ in range(60)) for _ in range(3)]
    calls = []
    structures = fold_many(
        sequences + sequences[:1], cache=cache, progress=lambda done, total: calls.append((done, total))
    )
    assert structures[0] == structures[3] == fold(sequences[0]).structure
    assert calls[-1] == (3, 3)
    assert len(list((tmp_path / "structures").rglob("*.txt"))) == 3
    # A second run reads every structure from the cache (a planted entry proves it is used).
    key = StructureCache.key(sequences[1], 37.0, 0)
    cache.put(key, "." * 60, 0.0)
    assert fold_many(sequences, cache=cache)[1] == "." * 60
    # Different settings are different entries; no cache at all also works.
    assert fold_many(sequences, cache=False) == [fold(sequence).structure for sequence in sequences]


def test_fold_many_pieces_span_and_parallel_agree(tmp_path):
    from rnaapp.structure import fold_many

    rng = random.Random(5)
    sequence = "".join(rng.choice("ACGU") for _ in range(250))
    pieces = fold_many([sequence], window=100, cache=False)[0]
    assert len(pieces) == 250
    assert pieces == "".join(fold_many([sequence[i : i + 100] for i in range(0, 250, 100)], cache=False))
    spanned = fold_many([sequence], max_bp_span=30, cache=False)[0]
    stack, spans = [], []
    for position, symbol in enumerate(spanned):
        if symbol == "(":
            stack.append(position)
        elif symbol == ")":
            spans.append(position - stack.pop())
    assert max(spans, default=0) <= 30
    others = ["".join(rng.choice("ACGU") for _ in range(80)) for _ in range(4)]
    assert fold_many(others, workers=2, cache=False) == fold_many(others, cache=False)
    with pytest.raises(ValueError, match="non-empty"):
        fold_many([""], cache=False)
