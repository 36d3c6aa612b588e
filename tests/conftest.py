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
# Tests write their files under the system's temporary folder; the app reads typed paths only inside the
# readable folders (rnaapp.io.bounded), so that folder is one of them for the tests.
os.environ.setdefault("RNAAPP_READABLE_FOLDERS", tempfile.gettempdir())

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


def gene_pairs(
    seed: int = 0, mirna_count: int = 8, gene_count: int = 24, with_sequences: bool = False
) -> pd.DataFrame:
    """Synthetic miRNA-gene association pairs, names only (empty target sequences) unless ``with_sequences``.

    Two communities: miRNAs ``gmir-0..3`` target genes ``gene-0..11``, ``gmir-4..7`` genes ``gene-12..23``;
    positives are half of each community's cells, negatives random cells across communities; the last gene
    (``gene-23``) only ever appears among negatives (an unseen node). miRNA sequences are random 22-mers.
    """
    rng = np.random.default_rng(seed)
    letters = np.array(list("ACGU"))
    mirna_seqs = ["".join(rng.choice(letters, 22)) for _ in range(mirna_count)]
    gene_seqs = ["".join(rng.choice(letters, 60)) for _ in range(gene_count)]
    half_m, half_g = mirna_count // 2, gene_count // 2
    rows = []
    for m in range(mirna_count):
        community = range(0, half_g) if m < half_m else range(half_g, gene_count - 1)
        for g in community:
            if (m + g) % 2 == 0:
                rows.append((m, g, 1))
        other = range(half_g, gene_count) if m < half_m else range(0, half_g)
        for g in rng.choice(list(other), size=6, replace=False):
            rows.append((m, int(g), 0))
    rows.append((0, gene_count - 1, 0))
    return (
        pd.DataFrame(
            [
                {
                    "mirna_id": f"gmir-{m}",
                    "mirna_seq": mirna_seqs[m],
                    "target_id": f"gene-{g}",
                    "target_seq": gene_seqs[g] if with_sequences else "",
                    "label": label,
                    "species": "hsa",
                }
                for m, g, label in rows
            ]
        )
        .drop_duplicates(["mirna_id", "target_id"])
        .reset_index(drop=True)
    )


SMALL_GENE_CONFIGS = {
    "grmmi": {
        "embedding_dim": 8,
        "filters": 8,
        "lstm_hidden": 8,
        "heads": 2,
        "embedding_epochs": 1,
        "graph_steps": 2,
        "graph_dimension": 4,
        "graph_folds": 2,
        "dense": 16,
    },
    "aemigap": {
        "encoder_sizes": [32, 16],
        "latent": 4,
        "autoencoder_epochs": 2,
        "lstm_hidden": 8,
        "graph_steps": 2,
        "graph_dimension": 4,
        "graph_folds": 2,
    },
}


@pytest.fixture(scope="session")
def tiny_gene_model():
    """``tiny_gene_model(family, with_sequences=False)``: a small gene model trained for two epochs on
    :func:`gene_pairs` (once per session per argument pair). Never change its weights."""
    from rnaapp.train import fit, training_config_for

    trained = {}

    def get(family: str = "grmmi", with_sequences: bool = False):
        key = (family, with_sequences)
        if key not in trained:
            trained[key] = fit(
                family,
                gene_pairs(with_sequences=with_sequences),
                model_config=SMALL_GENE_CONFIGS[family],
                training_config=training_config_for(family, {"epochs": 2, "batch_size": 16}),
                name=f"tiny-{family}",
            )
        return trained[key]

    return get


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
