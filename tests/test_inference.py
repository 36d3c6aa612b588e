"""The one inference layer: options, the worker rule, the window rule, and the CLI flags reaching the models."""

from __future__ import annotations

import argparse
import random

import numpy as np
import pandas as pd
import pytest
import torch

from rnaapp.cli import main
from rnaapp.inference import (
    PARALLEL_SCAN_WORK,
    InferenceOptions,
    available_cores,
    predict,
    scan_workers,
    score_pairs,
    transcript_probabilities,
)
from rnaapp.registry import load_model
from rnaapp.scan import candidate_sites, tile_starts, window_bounds
from rnaapp.scan.features import pair_site_features
from rnaapp.scoring import length_feature, model_scoring
from rnaapp.settings import Settings

MIRNA = "UGAGGUAGUAGGUUGUAUAGUU"  # let-7a
EIGHT_MER = "CUACCUCA"  # pairs with positions 2-8 of let-7a, plus the A opposite position 1


class ModelCalls:
    """Records, for every outermost ``torch.nn.Module`` call, its batch size and autocast state."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, bool, torch.dtype | None]] = []
        self.depth = 0

    def install(self, monkeypatch: pytest.MonkeyPatch) -> ModelCalls:
        original = torch.nn.Module.__call__
        recorder = self

        def recording_call(module, *args, **kwargs):
            outermost = recorder.depth == 0
            recorder.depth += 1
            try:
                if outermost:
                    tensors = [
                        value for value in (*args, *kwargs.values()) if isinstance(value, torch.Tensor)
                    ]
                    if tensors:
                        enabled = torch.is_autocast_enabled("cpu")
                        recorder.calls.append(
                            (
                                int(tensors[0].shape[0]),
                                enabled,
                                torch.get_autocast_dtype("cpu") if enabled else None,
                            )
                        )
                return original(module, *args, **kwargs)
            finally:
                recorder.depth -= 1

        monkeypatch.setattr(torch.nn.Module, "__call__", recording_call)
        return self

    def assert_all(self, batch_size: int, dtype: torch.dtype) -> None:
        assert self.calls, "no model call was recorded"
        assert max(size for size, _, _ in self.calls) <= batch_size, self.calls
        assert all(enabled and used == dtype for _, enabled, used in self.calls), self.calls


def random_rna(length: int, seed: int, letters: str = "ACGU") -> str:
    generator = random.Random(seed)
    return "".join(generator.choice(letters) for _ in range(length))


def test_options_check_every_field():
    assert InferenceOptions() == InferenceOptions(device="auto", batch_size=512, precision="float32")
    for bad in (
        {"batch_size": 0},
        {"batch_size": True},
        {"threads": 0},
        {"workers": -1},
        {"precision": "fp16"},
    ):
        with pytest.raises(ValueError):
            InferenceOptions(**bad)
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        InferenceOptions(device="tpu")
    with pytest.raises(AttributeError):
        InferenceOptions().batch_size = 3  # frozen


def test_options_from_settings_and_flags():
    settings = Settings(device="cpu", batch_size=7, precision="bfloat16")
    assert InferenceOptions.from_settings(settings) == InferenceOptions("cpu", 7, "bfloat16")
    assert InferenceOptions.from_settings(settings, workers=1).workers == 1
    flags = argparse.Namespace(device="cpu", batch_size=None, precision="bfloat16", threads=2, model="x")
    assert InferenceOptions.from_flags(flags) == InferenceOptions("cpu", 512, "bfloat16", threads=2)
    assert InferenceOptions().autocast_dtype() is None
    assert InferenceOptions(precision="bfloat16").autocast_dtype() is torch.bfloat16


def test_one_rule_for_worker_processes():
    assert scan_workers(PARALLEL_SCAN_WORK - 1) == 1
    assert scan_workers(PARALLEL_SCAN_WORK, InferenceOptions(device="cpu")) == available_cores()
    assert scan_workers(10, InferenceOptions(workers=3)) == 3
    assert scan_workers(10**12, InferenceOptions(device="cuda")) == 1


def test_tiles_cover_every_40nt_stretch():
    assert tile_starts(50, 60) == [0]
    assert tile_starts(61, 60) == [0, 1]
    starts = tile_starts(1000, 60)
    assert starts[-1] == 940 and all(b - a <= 20 for a, b in zip(starts, starts[1:], strict=False))


@pytest.fixture(scope="module")
def site_model():
    return load_model("mirna_site-combined")


@pytest.mark.parametrize("with_site", [False, True])
def test_one_window_rule_at_the_model_length(site_model, with_site):
    """59, 60, 61 and 62 nt: whole up to 60 nt, 40-nt windows above; the site type always there, never 0."""
    limit = site_model.family.max_target_length(site_model.config)
    assert limit == 60
    base = random_rna(70, seed=11, letters="ACG")  # no U: no seed match of let-7a can form by chance
    if with_site:
        base = base[:30] + EIGHT_MER + base[38:]
    lengths = [59, 60, 61, 62]
    targets = [base[:length] for length in lengths]
    scores = transcript_probabilities(site_model, [MIRNA] * 4, targets)
    assert scores["scanned"].tolist() == [False, False, True, True]
    assert scores["best_site_type"].tolist() == ["8mer" if with_site else "none"] * 4
    assert (scores["probability"] > 0).all()  # the old rule gave a site-free 61-nt target 0
    scoring = model_scoring(site_model)
    whole = predict(site_model, [MIRNA] * 2, targets[:2], output="logit")
    np.testing.assert_allclose(scores["score"].iloc[:2], scoring.site.log_odds(whole), atol=1e-6)
    np.testing.assert_allclose(scores["probability"].iloc[:2], scoring.site.probability(whole), atol=1e-6)
    for row in (2, 3):
        target = targets[row]
        if with_site:
            (site,) = [site for site in candidate_sites(MIRNA, target) if site.site_type == "8mer"]
            start, end = window_bounds(site.anchor, len(target))
            assert scores.loc[row, "best_site_start"] == 31 and end - start == 40
        else:
            assert not candidate_sites(MIRNA, target) and pd.isna(scores.loc[row, "best_site_start"])
        # the scanned score is the transcript score of the scan's windows (sites, or tiles without any)
        (features,) = pair_site_features(
            site_model, [(MIRNA, target)], energies=scoring.transcript.uses_energy
        )
        expected = scoring.transcript.score_pair(features, length_feature(len(target)))
        assert scores.loc[row, "score"] == pytest.approx(expected.score, abs=1e-6)
        assert scores.loc[row, "probability"] == pytest.approx(expected.probability, abs=1e-6)


def test_score_pairs_returns_one_row_per_pair_in_order(site_model):
    targets = [random_rna(40, seed=1), random_rna(300, seed=2)[:150] + EIGHT_MER + random_rna(300, seed=3)]
    pairs = pd.DataFrame({"mirna_seq": [MIRNA, MIRNA], "target_seq": targets}, index=[7, 3])
    scores = score_pairs(site_model, pairs)
    assert (
        list(scores.index) == [0, 1]
        and scores.loc[1, "scanned"]
        and scores.loc[1, "best_site_type"] == "8mer"
    )


@pytest.fixture()
def pair_file(tmp_path):
    rows = []
    for index in range(24):
        target = random_rna(40 if index % 3 else 400, seed=index)
        if index % 2:
            target = target[:20] + EIGHT_MER + target[28:]
        rows.append(
            {"mirna_id": "let-7a", "mirna_seq": MIRNA, "target_id": f"t{index}", "target_seq": target}
        )
    frame = pd.DataFrame(rows).assign(label=[index % 2 for index in range(24)])
    path = tmp_path / "pairs.csv"
    frame.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_cli_flags_reach_every_model_call(monkeypatch, capsys, pair_file, command, user_home):
    calls = ModelCalls().install(monkeypatch)
    status = main(
        [
            command,
            str(pair_file),
            "--model",
            "mirna_site-combined",
            "--batch-size",
            "7",
            "--precision",
            "bfloat16",
        ]
    )
    assert status == 0, capsys.readouterr().err
    calls.assert_all(7, torch.bfloat16)


def test_cli_scan_flags_reach_every_model_call(monkeypatch, capsys, tmp_path, user_home):
    mirnas = tmp_path / "mirnas.fa"
    mirnas.write_text(f">let-7a\n{MIRNA}\n", encoding="utf-8")
    targets = tmp_path / "utrs.fa"
    targets.write_text(
        "".join(
            f">utr{index}\n{random_rna(150, index)}{EIGHT_MER}{random_rna(150, index + 50)}\n"
            for index in range(4)
        ),
        encoding="utf-8",
    )
    calls = ModelCalls().install(monkeypatch)
    status = main(
        [
            "scan",
            "--mirnas",
            str(mirnas),
            "--targets",
            str(targets),
            "--model",
            "mirna_site-combined",
            "-o",
            str(tmp_path / "out.csv"),
            "--batch-size",
            "3",
            "--precision",
            "bfloat16",
            "--workers",
            "1",
        ]
    )
    assert status == 0, capsys.readouterr().err
    calls.assert_all(3, torch.bfloat16)


def test_cli_and_page_give_the_same_per_group_metrics(capsys, tmp_path, user_home):
    """`rnaapp evaluate --by` and the Evaluate page's breakdown are one function: undefined metrics n/a."""
    from rnaapp.comparison import group_breakdown, model_probabilities
    from rnaapp.io import read_pairs

    rows = []
    for index in range(16):
        group = "A" if index < 10 else "B"  # B holds positives only
        label = index % 2 if group == "A" else 1
        target = random_rna(40, seed=100 + index)
        if label:
            target = target[:20] + EIGHT_MER + target[28:]
        rows.append({"mirna_seq": MIRNA, "target_seq": target, "label": label, "species": group})
    path = tmp_path / "onecls.csv"
    pd.DataFrame(rows).to_csv(path, index=False)
    status = main(["evaluate", str(path), "--model", "mirna_site-combined", "--by", "species", "--json"])
    out = capsys.readouterr().out
    assert status == 0
    import json

    cli_rows = pd.DataFrame(json.loads(out)["mirna_site-combined"]["by_species"])
    pairs = read_pairs(path, require_label=True)
    model = load_model("mirna_site-combined")
    page = group_breakdown(pairs, model_probabilities(model, pairs)["probability"], "species")
    pd.testing.assert_frame_equal(
        cli_rows.astype({"n": "int64", "positives": "int64", "negatives": "int64"}).fillna(np.nan),
        page.astype({"n": "int64", "positives": "int64", "negatives": "int64"}).reset_index(drop=True),
        check_dtype=False,
    )
    group_b = cli_rows.set_index("group").loc["B"]
    assert pd.isna(group_b["SPE"]) and pd.isna(group_b["MCC"]) and pd.isna(group_b["AUC"])
    # The printed table says n/a where the page shows an empty cell.
    status = main(["evaluate", str(path), "--model", "mirna_site-combined", "--by", "species"])
    printed = capsys.readouterr().out
    line_b = next(line for line in printed.splitlines() if line.split()[:1] == ["B"])
    assert "n/a" in line_b and "0.0000" not in line_b.split()[5:7]


def test_a_score_that_weighs_accessibility_and_the_mirna_folds_each_transcript_once(site_model, monkeypatch):
    """The scan's score of a fitted model that weighs context++'s extra features is the transcript score of
    pair_site_features (accessibility from one fold of the whole transcript, the miRNA's seed features)."""
    import dataclasses

    import rnaapp.scan.features as scan_features
    from rnaapp.scan import scan
    from rnaapp.scoring import Scoring, TranscriptModel

    weights = {
        "log_odds": 1.0,
        "8mer": 1.0,
        "accessibility": 0.7,
        "seed_stability": 0.4,
        "site_abundance": -0.3,
    }
    scoring = dataclasses.replace(model_scoring(site_model), transcript=TranscriptModel(weights=weights))
    card = dataclasses.replace(site_model.card, scoring=scoring.to_dict())
    model = dataclasses.replace(site_model, card=card)
    base = random_rna(300, seed=5, letters="ACG")
    target = base[:100] + EIGHT_MER + base[108:200] + EIGHT_MER + base[208:]
    folds = []
    original = scan_features.unpaired_profile
    monkeypatch.setattr(scan_features, "_PROFILES", {})
    monkeypatch.setattr(
        scan_features,
        "unpaired_profile",
        lambda sequence, **kw: folds.append(sequence) or original(sequence, **kw),
    )
    other = "UGAGGUAGUAGGUUGUGUGGUU"  # let-7b: the same seed, another miRNA
    result = scan(model, [("let-7a", MIRNA), ("let-7b", other)], [("t", target)])
    assert folds.count(target) == 1  # one fold for both miRNAs (the others: the percentile background)
    for mirna_id, mirna in (("let-7a", MIRNA), ("let-7b", other)):
        (features,) = pair_site_features(model, [(mirna, target)], energies=False)
        expected = Scoring.from_dict(card.scoring).transcript.score_pair(
            features, length_feature(len(target))
        )
        row = result.pairs.set_index("mirna_id").loc[mirna_id]
        assert row["score"] == pytest.approx(expected.score, abs=1e-6)
    assert folds.count(target) == 1  # pair_site_features reused the cached profile
    plain = scan(site_model, [("let-7a", MIRNA)], [("t", target)])
    assert plain.pairs["score"].iloc[0] != pytest.approx(
        result.pairs.set_index("mirna_id").loc["let-7a", "score"]
    )
