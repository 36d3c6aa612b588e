"""Checks of the models shipped in ``weights/``: complete cards, loadable weights, reproducible metrics.

Parametrised over the cards present when the tests are collected, so it passes with any subset of the
shipped models (some may still be training).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnaapp.evaluate import compute_metrics
from rnaapp.io import read_pairs
from rnaapp.models import FAMILIES, TASKS
from rnaapp.predict import predict
from rnaapp.registry import load_model, resolve_name

from .conftest import REPOSITORY, synthetic_pairs

WEIGHTS = REPOSITORY / "weights"
CARDS = sorted(path for path in WEIGHTS.glob("*.json") if path.name != "defaults.json")
DEFAULTS_PATH = WEIGHTS / "defaults.json"
DEFAULTS = json.loads(DEFAULTS_PATH.read_text(encoding="utf-8")) if DEFAULTS_PATH.is_file() else {}
DEFAULT_ENTRIES = [
    (kind, reference, name)
    for kind in ("tasks", "families")
    for reference, name in DEFAULTS.get(kind, {}).items()
]

#: Families whose predictions on the 13,932 deepmirnatar test pairs take seconds (hybrid_mfe folds every
#: pair with ViennaRNA, which takes minutes).
CHEAP_FAMILIES = {"seed_rule", "mitar", "mirna_site"}
TEST_SET = "deepmirnatar_test"
AUC_TOLERANCE = 0.002


def card_of(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def shipped(monkeypatch, user_home) -> Path:
    """The repository's weights folder, with an empty user folder so that nothing shadows it."""
    monkeypatch.setenv("RNAAPP_WEIGHTS", str(WEIGHTS))
    return WEIGHTS


@lru_cache(maxsize=1)
def deepmirnatar_test(benchmarks: Path) -> pd.DataFrame:
    return read_pairs(benchmarks / "site_deepmirnatar" / "test.csv", require_label=True)


@pytest.mark.parametrize("path", CARDS, ids=[path.stem for path in CARDS])
def test_card_is_complete(path):
    card = card_of(path)
    assert card["name"] == path.stem
    assert card["family"] in FAMILIES
    assert card["task"] == FAMILIES[card["family"]].task and card["task"] in TASKS
    assert isinstance(card["config"], dict)
    training = card["training"]
    for key in ("command", "seed", "data"):
        assert training.get(key) not in (None, ""), f"training.{key} missing"
    assert isinstance(training["seed"], int)
    assert isinstance(card["metrics"], dict) and card["metrics"], "no test metrics"
    for data_set, metrics in card["metrics"].items():
        assert 0.0 <= metrics["AUC"] <= 1.0, data_set
    assert card["version"]
    assert card.get("created")
    assert path.with_suffix(".safetensors").is_file()


@pytest.mark.parametrize("path", CARDS, ids=[path.stem for path in CARDS])
def test_card_records_the_sha256_of_its_weights_file(path):
    """Every shipped card carries the digest that loading checks, written as ModelCard.to_json writes it."""
    text = path.read_text(encoding="utf-8")
    card = json.loads(text)
    weights = path.with_suffix(".safetensors").read_bytes()
    assert card.get("weights_sha256") == hashlib.sha256(weights).hexdigest()
    assert list(card)[-1] == "weights_sha256"
    assert text == json.dumps(card, indent=2) + "\n"


@pytest.mark.parametrize("path", CARDS, ids=[path.stem for path in CARDS])
def test_model_loads_and_predicts(shipped, path):
    model = load_model(path.stem)
    assert model.card.source == "shipped"
    assert model.card.weights_sha256 == card_of(path)["weights_sha256"]  # checked when it loaded
    assert model.family.name == card_of(path)["family"]
    assert not model.module.training
    frame = synthetic_pairs(6, seed=11)
    probabilities = predict(model, frame.mirna_seq.tolist(), frame.target_seq.tolist())
    assert probabilities.shape == (6,)
    assert np.all(np.isfinite(probabilities))
    assert np.all((probabilities >= 0) & (probabilities <= 1))


@pytest.mark.parametrize(
    ("kind", "reference", "name"), DEFAULT_ENTRIES, ids=[f"{kind}:{ref}" for kind, ref, _ in DEFAULT_ENTRIES]
)
def test_defaults_resolve_to_the_named_model(shipped, kind, reference, name):
    if kind == "tasks":
        assert reference in TASKS
    else:
        assert reference in FAMILIES
    if not (WEIGHTS / f"{name}.json").is_file():
        pytest.skip(f"default {name} is not shipped (yet)")
    assert resolve_name(reference) == name
    field = {"tasks": "task", "families": "family"}[kind]
    assert card_of(WEIGHTS / f"{name}.json")[field] == reference  # a task's or family's own model


REPRODUCIBLE = [
    path
    for path in CARDS
    if card_of(path)["family"] in CHEAP_FAMILIES and TEST_SET in card_of(path)["metrics"]
]


@pytest.mark.benchmarks
@pytest.mark.slow
@pytest.mark.parametrize("path", REPRODUCIBLE, ids=[path.stem for path in REPRODUCIBLE])
def test_recorded_test_auc_is_reproduced(shipped, benchmarks, path):
    """Covers the default site model whenever it is shipped (and of a cheap family)."""
    model = load_model(path.stem)
    test = deepmirnatar_test(benchmarks)
    recorded = model.card.metrics[TEST_SET]
    assert recorded["n"] == len(test)
    probabilities = predict(model, test.mirna_seq.tolist(), test.target_seq.tolist())
    reproduced = compute_metrics(test.label.to_numpy(), probabilities)
    assert reproduced["AUC"] == pytest.approx(recorded["AUC"], abs=AUC_TOLERANCE)


def test_the_default_site_model_is_checked_when_it_is_shipped(shipped):
    try:
        name = resolve_name("site")
    except LookupError:
        pytest.skip("no site model is shipped yet")
    family = card_of(WEIGHTS / f"{name}.json")["family"]
    if family in CHEAP_FAMILIES:
        assert WEIGHTS / f"{name}.json" in REPRODUCIBLE


@pytest.mark.parametrize("use, name", sorted(DEFAULTS.get("uses", {}).items()))
def test_use_defaults_name_a_shipped_site_model(shipped, use, name):
    assert use == "scan"  # the only use so far: the model `rnaapp scan` takes when none is named
    assert (WEIGHTS / f"{name}.json").is_file(), f"uses.{use} names {name}, which is not shipped"
    assert resolve_name(use) == name
    assert card_of(WEIGHTS / f"{name}.json")["task"] == "site"


PLANT_DEFAULT = DEFAULTS.get("tasks", {}).get("plant")


@pytest.mark.skipif(PLANT_DEFAULT is None, reason="no default plant model is shipped yet")
def test_the_shipped_plant_model_scores_a_site_above_a_random_lncrna(shipped):
    from rnaapp.examples import CONSTRUCTED_LNCRNA, PLANT_EXAMPLE_MIRNAS

    model = load_model("plant")
    assert model.name == PLANT_DEFAULT and model.card.task == "plant"
    mirna = PLANT_EXAMPLE_MIRNAS["ath-miR156a-5p"]
    random_lncrna = "".join(np.random.default_rng(7).choice(list("ACGU"), len(CONSTRUCTED_LNCRNA)))
    with_site, without = predict(model, [mirna, mirna], [CONSTRUCTED_LNCRNA, random_lncrna])
    assert with_site > 0.5 > without


@pytest.mark.benchmarks
@pytest.mark.slow
@pytest.mark.skipif(PLANT_DEFAULT is None, reason="no default plant model is shipped yet")
def test_the_shipped_plant_model_reproduces_its_recorded_auc(shipped, benchmarks):
    """A. lyrata (500 pairs, the smallest test species): folding is cached, so reruns are quick."""
    model = load_model("plant")
    test = pd.read_csv(benchmarks / "plant_lnc" / "test_aly.csv")
    probabilities = predict(model, test.mirna_seq.tolist(), test.target_seq.tolist())
    reproduced = compute_metrics(test.label.to_numpy(), probabilities)
    assert reproduced["AUC"] == pytest.approx(model.card.metrics["aly"]["AUC"], abs=AUC_TOLERANCE)


GENE_DEFAULT = DEFAULTS.get("tasks", {}).get("gene")


@pytest.mark.skipif(GENE_DEFAULT is None, reason="no default miRNA-gene model is shipped yet")
def test_the_shipped_gene_model_scores_pairs_by_name(shipped):
    """A hub miRNA with a hub gene it is not known to target scores above two nodes it never saw."""
    from rnaapp.rank import node_status

    model = load_model("gene")
    assert model.name == GENE_DEFAULT and model.card.task == "gene"
    mirna = "UAGCAGCACGUAAAUAUUGGCG"  # hsa-miR-16-5p
    probabilities = predict(
        model,
        [mirna, mirna],
        ["", ""],
        mirna_ids=["hsa-miR-16-5p", "no-such-miRNA"],
        target_ids=["VEGFA", "NO-SUCH-GENE"],
    )
    assert probabilities[0] > probabilities[1]
    statuses = node_status(model, ["hsa-miR-16-5p", "no-such-miRNA"], ["VEGFA", "NO-SUCH-GENE"])
    assert list(statuses) == ["seen", "both unseen"]


@pytest.mark.benchmarks
@pytest.mark.skipif(GENE_DEFAULT is None, reason="no default miRNA-gene model is shipped yet")
def test_the_shipped_gene_model_reproduces_its_recorded_auc(shipped, benchmarks):
    """MTIS-9214 test split (3,686 name pairs; scoring takes about a second)."""
    model = load_model("gene")
    assert mtis_test_auc(model, benchmarks) == pytest.approx(
        model.card.metrics["mtis9214_test"]["AUC"], abs=AUC_TOLERANCE
    )


def mtis_test_auc(model, benchmarks: Path) -> float:
    """AUC of a gene model on the MTIS-9214 test split given by names only (empty target sequences)."""
    test = read_pairs(benchmarks / "gene_mtis9214" / "test.csv", require_label=True, require_sequences=False)
    probabilities = predict(
        model,
        test.mirna_seq.tolist(),
        test.target_seq.tolist(),
        mirna_ids=test.mirna_id.tolist(),
        target_ids=test.target_id.tolist(),
    )
    return compute_metrics(test.label.to_numpy(), probabilities)["AUC"]


@pytest.mark.skipif(not (WEIGHTS / "gene-utr.json").is_file(), reason="gene-utr is not shipped")
def test_the_shipped_utr_gene_model_reads_seed_sites_on_a_whole_3utr(shipped):
    """A seen pair scores higher when the given 3'UTR (longer than any window) holds 8mer sites of the miRNA."""
    from rnaapp.sites import reverse_complement

    model = load_model("gene-utr")
    assert model.card.task == "gene" and model.config.site_counts and not model.config.sequence_branch
    assert model.family.max_target_length(model.config) is None
    mirna = "UAGCAGCACGUAAAUAUUGGCG"  # hsa-miR-16-5p
    site = reverse_complement(mirna[1:8]) + "A"
    background = "CCAGG" * 1000  # 5 kb without any site of miR-16
    targets = ["", background, background[:2500] + site + background[2500:4000] + site + background[4000:]]
    probabilities = predict(
        model, [mirna] * 3, targets, mirna_ids=["hsa-miR-16-5p"] * 3, target_ids=["VEGFA"] * 3
    )
    assert probabilities[0] == pytest.approx(probabilities[1])  # no site: as if names only
    assert probabilities[2] > probabilities[1]


@pytest.mark.benchmarks
@pytest.mark.skipif(not (WEIGHTS / "gene-utr.json").is_file(), reason="gene-utr is not shipped")
def test_the_shipped_utr_gene_model_reproduces_its_names_only_auc(shipped, benchmarks):
    """Given names only (MTIS-9214 test, no 3'UTRs), gene-utr scores as its card records."""
    model = load_model("gene-utr")
    expected = model.card.metrics["mtis9214_test_names_only"]["AUC"]
    assert mtis_test_auc(model, benchmarks) == pytest.approx(expected, abs=AUC_TOLERANCE)
