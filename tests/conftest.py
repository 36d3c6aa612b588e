"""Shared fixtures: seeded synthetic pairs, an isolated model store, the benchmark folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

REPOSITORY = Path(__file__).resolve().parents[1]

# Two threads on a two-core machine fight with anything else running; tests use one.
torch.set_num_threads(1)

# Nothing a test does may write into the user's ~/.rnaapp (structure cache, models, settings): tests that need
# their own home use the ``user_home`` fixture, all others share this temporary one.
os.environ.setdefault("RNAAPP_HOME", tempfile.mkdtemp(prefix="rnaapp-test-home-"))

COMPLEMENT = str.maketrans("ACGU", "UGCA")


def reverse_complement(sequence: str) -> str:
    return sequence.translate(COMPLEMENT)[::-1]


def synthetic_pairs(count: int = 200, seed: int = 0, target_length: int = 40) -> pd.DataFrame:
    """Positives carry a 7mer-m8 seed site of their miRNA inside random sequence; negatives do not."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGU"))
    mirnas = ["".join(rng.choice(letters, 22)) for _ in range(12)]
    rows = []
    for index in range(count):
        mirna = mirnas[index % len(mirnas)]
        label = index % 2
        target = "".join(rng.choice(letters, target_length))
        site = reverse_complement(mirna[1:8])
        if label:
            start = int(rng.integers(5, target_length - 12))
            target = target[:start] + site + target[start + len(site) :]
        else:
            while reverse_complement(mirna[1:7]) in target:
                target = "".join(rng.choice(letters, target_length))
        rows.append(
            {
                "mirna_id": f"mir-{index % len(mirnas)}",
                "mirna_seq": mirna,
                "target_id": f"target-{index}",
                "target_seq": target,
                "label": label,
                "species": "hsa" if index % 3 else "mmu",
            }
        )
    return pd.DataFrame(rows)


def plant_pairs(count: int = 48, seed: int = 0, mirna_count: int = 6) -> pd.DataFrame:
    """Synthetic plant miRNA-lncRNA pairs: random 21-nt miRNAs and 100-400-nt targets; positives (odd rows)
    carry the miRNA's exact reverse complement at a random position."""
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGU"))
    mirnas = ["".join(rng.choice(letters, 21)) for _ in range(mirna_count)]
    rows = []
    for index in range(count):
        mirna = mirnas[index % mirna_count]
        length = int(rng.integers(100, 401))
        target = "".join(rng.choice(letters, length))
        label = index % 2
        if label:
            start = int(rng.integers(0, length - len(mirna)))
            target = target[:start] + reverse_complement(mirna) + target[start + len(mirna) :]
        rows.append(
            {
                "mirna_id": f"pmir-{index % mirna_count}",
                "mirna_seq": mirna,
                "target_id": f"lnc-{index}",
                "target_seq": target,
                "label": label,
                "species": "ath",
            }
        )
    return pd.DataFrame(rows)


PLANT_FAMILIES = ("mixlmi", "premli", "plant_ensemble")


@pytest.fixture(scope="session")
def tiny_plant_model(tmp_path_factory):
    """``tiny_plant_model(family)``: a plant model trained for one epoch on :func:`plant_pairs` (once per
    session and family; its structures are folded into a private cache). Save it with
    ``rnaapp.registry.save_model(model, name=...)``; never change its weights."""
    from rnaapp.train import fit, training_config_for

    home = tmp_path_factory.mktemp("plant_models")
    trained = {}

    def get(family: str = "premli"):
        if family not in trained:
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("RNAAPP_HOME", str(home))
                trained[family] = fit(
                    family,
                    plant_pairs(),
                    training_config=training_config_for(family, {"epochs": 1, "batch_size": 16}),
                    name=f"tiny-{family}",
                )
        return trained[family]

    return get


@pytest.fixture
def pairs() -> pd.DataFrame:
    return synthetic_pairs()


@pytest.fixture
def user_home(tmp_path, monkeypatch) -> Path:
    """An empty user model store, so tests never touch ~/.rnaapp."""
    monkeypatch.setenv("RNAAPP_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def benchmarks() -> Path:
    path = Path(os.environ.get("RNAAPP_BENCHMARKS", REPOSITORY.parent / "shared" / "benchmarks"))
    if not path.is_dir():
        pytest.skip(f"benchmark folder {path} not found (set RNAAPP_BENCHMARKS to run this test)")
    return path
