"""Benchmark splits for the miRNA-mRNA site task, shared by the bench scripts.

Reads ``RNAAPP_BENCHMARKS`` (default ``../shared/benchmarks`` beside the repository). Nothing here is
copied into the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd

from rnaapp.io import read_pairs

REPOSITORY = Path(__file__).resolve().parents[1]


def benchmarks_directory() -> Path:
    path = Path(os.environ.get("RNAAPP_BENCHMARKS", REPOSITORY.parent / "shared" / "benchmarks"))
    if not path.is_dir():
        raise SystemExit(f"benchmark folder {path} not found; set RNAAPP_BENCHMARKS")
    return path


def load(relative: str) -> pd.DataFrame:
    return read_pairs(benchmarks_directory() / relative, require_label=True)


def parclip_keys() -> tuple[set[tuple[str, str]], pd.DataFrame]:
    parclip = load("site_parclip/test.csv")
    return set(zip(parclip.mirna_seq, parclip.target_seq, strict=True)), parclip


def remove_parclip(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop every pair that is a PAR-CLIP test pair, exactly or as a contained site of the same miRNA."""
    keys, parclip = parclip_keys()
    by_mirna: dict[str, list[str]] = {}
    for mirna, target in keys:
        by_mirna.setdefault(mirna, []).append(target)

    def leaks(mirna: str, target: str) -> bool:
        for other in by_mirna.get(mirna, ()):
            if target == other or (
                min(len(target), len(other)) >= 15 and (target in other or other in target)
            ):
                return True
        return False

    mask = np.array([leaks(m, t) for m, t in zip(frame.mirna_seq, frame.target_seq, strict=True)], dtype=bool)
    return frame.loc[~mask].reset_index(drop=True), int(mask.sum())


def clash_split(seed: int = 0, test_fraction: float = 0.2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Hold out ``test_fraction`` of clash_hejret2023/train by target fragment locus (no fragment in both)."""
    clash = load("clash_hejret2023/train.csv")
    loci = np.array(sorted(clash.target_id.unique()))
    rng = np.random.default_rng(seed)
    test_loci = set(rng.choice(loci, size=int(round(len(loci) * test_fraction)), replace=False))
    is_test = clash.target_id.isin(test_loci).to_numpy()
    return clash.loc[~is_test].reset_index(drop=True), clash.loc[is_test].reset_index(drop=True)


def training_data(dataset: str) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame, dict]:
    """(train, valid or None, test, description) for ``deepmirnatar``, ``clash`` or ``combined``.

    PAR-CLIP test pairs are removed from every training and validation set.
    """
    if dataset == "deepmirnatar":
        train, removed_train = remove_parclip(load("site_deepmirnatar/train.csv"))
        valid, removed_valid = remove_parclip(load("site_deepmirnatar/valid.csv"))
        test = load("site_deepmirnatar/test.csv")
        about = {
            "data": "site_deepmirnatar (zaku1521/DeepmiRNATar@622a475, random 60/20/20 split)",
            "split": "train for fitting, valid for early stopping, test for the metrics",
            "parclip_pairs_removed": {"train": removed_train, "valid": removed_valid},
        }
        return train, valid, test, about
    if dataset == "clash":
        train, test = clash_split()
        train, removed = remove_parclip(train)
        about = {
            "data": "clash_hejret2023/train (AGO2 CLASH, Hejret 2023, miRBench)",
            "split": "80/20 split by target fragment locus (seed 0); test = the 20 %; "
            "10 % of the rest held out (stratified, seed 0) for early stopping",
            "parclip_pairs_removed": {"train": removed},
        }
        return train, None, test, about
    if dataset == "combined":
        deep_train, deep_valid, deep_test, _ = training_data("deepmirnatar")
        clash_train, _, _, _ = training_data("clash")
        from rnaapp.train import hold_out

        clash_fit, clash_valid = hold_out(clash_train, 0.1, seed=0)
        train = pd.concat([deep_train, clash_fit], ignore_index=True)
        valid = pd.concat([deep_valid, clash_valid], ignore_index=True)
        about = {
            "data": "site_deepmirnatar train + clash_hejret2023/train (80 % by target locus, seed 0)",
            "split": "fit on deepmirnatar train + 90 % of the CLASH part; early stopping on deepmirnatar valid "
            "+ the other 10 % (stratified, seed 0); tests: deepmirnatar test and the CLASH held-out 20 %",
            "parclip_pairs_removed": "all (exact or contained site of the same miRNA)",
        }
        return train, valid, deep_test, about
    raise SystemExit(f"unknown dataset {dataset!r}; use deepmirnatar, clash or combined")
