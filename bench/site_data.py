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
    if dataset == "combined_paired":
        train, valid, test, about = training_data("combined")
        train_negatives = other_window_negatives(train, seed=0)
        valid_negatives = other_window_negatives(valid, seed=1)
        about = dict(about)
        about["data"] += ", plus one other-window negative per positive"
        about["other_window_negatives"] = {"train": len(train_negatives), "valid": len(valid_negatives)}
        about["negatives"] = (
            "each positive's miRNA paired with the window of a positive of another miRNA (another seed) that "
            "holds no canonical site (6mer or longer) of it: every real miRNA of the data then has both "
            "labels, so its name tells nothing (train with --balance mirna)"
        )
        return (
            pd.concat([train, train_negatives], ignore_index=True),
            pd.concat([valid, valid_negatives], ignore_index=True),
            test,
            about,
        )
    if dataset in ("scan", "scan_decoys"):
        train, valid, test, _ = training_data("combined")
        train, removed_train = remove_gene_overlap(train)
        valid, removed_valid = remove_gene_overlap(valid)
        about = {
            "data": "site_deepmirnatar train + clash_hejret2023/train (80 % by target locus, seed 0), minus every "
            "pair that overlaps the gene-level test gene_miraw",
            "split": "as 'combined'",
            "gene_miraw_overlap_removed": {"train": removed_train, "valid": removed_valid},
        }
        if dataset == "scan_decoys":
            train_decoys = seed_decoys(train, seed=0)
            valid_decoys = seed_decoys(valid, seed=1)
            train = pd.concat([train, train_decoys], ignore_index=True)
            valid = pd.concat([valid, valid_decoys], ignore_index=True)
            about["data"] += ", plus seed-matched decoy negatives"
            about["decoy_negatives"] = {"train": len(train_decoys), "valid": len(valid_decoys)}
            about["decoys"] = (
                "a real window of the data paired with another miRNA of the data (different seed) that has a "
                "canonical seed match in it where scan windows put the seed (anchor 31-37 of the window)"
            )
        return train, valid, test, about
    raise SystemExit(
        f"unknown dataset {dataset!r}; use deepmirnatar, clash, combined, combined_paired, scan or scan_decoys"
    )


def other_window_negatives(frame: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One negative per positive of ``frame``: its miRNA with another miRNA's positive window, site-free.

    For each positive (miRNA ``m``, window ``w``), windows of positives of miRNAs with another seed
    (positions 2-7) are drawn (seeded) until one holds no canonical site of ``m``
    (:func:`rnaapp.sites.find_seed_sites`) and is not a positive of ``m``; that (``m``, window) is a
    negative, as miRAW's negatives pair a miRNA with a site-free window. Positives that find none in 20
    draws get no negative.
    """
    from rnaapp.sites import find_seed_sites

    rng = np.random.default_rng(seed)
    positives = frame[frame.label == 1].reset_index(drop=True)
    known = set(zip(frame.mirna_seq[frame.label == 1], frame.target_seq[frame.label == 1], strict=True))
    windows = positives.target_seq.to_numpy()
    seeds = positives.mirna_seq.str[1:7].to_numpy()
    rows = []
    for row in positives.itertuples():
        for _ in range(20):
            pick = int(rng.integers(len(windows)))
            window = windows[pick]
            if seeds[pick] == row.mirna_seq[1:7] or (row.mirna_seq, window) in known:
                continue
            if find_seed_sites(row.mirna_seq, window):
                continue
            rows.append(
                {
                    "mirna_id": getattr(row, "mirna_id", ""),
                    "mirna_seq": row.mirna_seq,
                    "target_id": f"other-window:{getattr(row, 'target_id', '')}",
                    "target_seq": window,
                    "label": 0,
                }
            )
            break
    return pd.DataFrame(rows)


def gene_overlap_keys() -> tuple[set[tuple[str, str]], dict[str, list[str]]]:
    """Pairs to keep out of training for the gene-level test ``gene_miraw``.

    Returns (mirna_seq, site-data target id) pairs listed in ``overlap_with_site_deepmirnatar_train.csv``,
    and per miRNA sequence the 3'UTRs it is paired with in any of the ten test files.
    """
    folder = benchmarks_directory() / "gene_miraw"
    overlap = pd.read_csv(folder / "overlap_with_site_deepmirnatar_train.csv")
    keys = {
        (mirna, target_id)
        for mirna, targets in zip(overlap.mirna_seq, overlap.site_train_target_ids.fillna(""), strict=True)
        for target_id in str(targets).split("|")
        if target_id
    }
    utrs: dict[str, set[str]] = {}
    for index in range(10):
        test = pd.read_csv(folder / f"test{index}.csv", usecols=["mirna_seq", "target_seq"])
        for mirna, utr in zip(test.mirna_seq, test.target_seq, strict=True):
            utrs.setdefault(mirna, set()).add(utr)
    return keys, {mirna: sorted(values) for mirna, values in utrs.items()}


def remove_gene_overlap(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop pairs listed as overlapping gene_miraw, and any window of a miRNA found in a test 3'UTR of it."""
    keys, utrs = gene_overlap_keys()
    target_ids = frame["target_id"].astype(str).tolist() if "target_id" in frame else [""] * len(frame)
    mask = np.zeros(len(frame), dtype=bool)
    for row, (mirna, target, target_id) in enumerate(
        zip(frame.mirna_seq, frame.target_seq, target_ids, strict=True)
    ):
        if (mirna, target_id) in keys or any(
            part in keys for part in ((mirna, piece) for piece in target_id.split("|"))
        ):
            mask[row] = True
        elif len(target) >= 20 and any(target in utr for utr in utrs.get(mirna, ())):
            mask[row] = True
    return frame.loc[~mask].reset_index(drop=True), int(mask.sum())


def seed_decoys(
    frame: pd.DataFrame, seed: int, anchors: tuple[int, int] = (31, 37), fraction: float = 0.5
) -> pd.DataFrame:
    """Negative pairs: real windows of ``frame`` with another miRNA that has a canonical seed match there.

    For each window, the miRNAs of ``frame`` whose seed (positions 2-7, reverse complement) matches it with
    the nucleotide opposite miRNA position 2 at a window index in ``anchors`` (where scanning puts it) are
    candidates; one is drawn (never one of the window's own seed, nor a miRNA labelled positive with that
    window). At most ``fraction`` x the positives of ``frame`` are returned.
    """
    from rnaapp.sites import reverse_complement

    rng = np.random.default_rng(seed)
    mirnas = sorted(set(frame.mirna_seq))
    by_kmer: dict[str, list[str]] = {}
    for mirna in mirnas:
        by_kmer.setdefault(reverse_complement(mirna[1:7]), []).append(mirna)
    positives = set(zip(frame.mirna_seq[frame.label == 1], frame.target_seq[frame.label == 1], strict=True))
    windows = sorted(set(frame.target_seq))
    rng.shuffle(windows)
    limit = int(fraction * int((frame.label == 1).sum()))
    rows = []
    for window in windows:
        found = []
        for anchor in range(anchors[0], min(anchors[1] + 1, len(window))):
            start = anchor - 5  # the 6mer pairing positions 7..2 ends at the anchor
            if start < 0:
                continue
            for mirna in by_kmer.get(window[start : anchor + 1], ()):
                if (mirna, window) not in positives:
                    found.append(mirna)
        own_seeds = {other[1:7] for other in frame.mirna_seq[frame.target_seq == window]} if found else set()
        found = [mirna for mirna in found if mirna[1:7] not in own_seeds]
        if found:
            rows.append((found[int(rng.integers(len(found)))], window))
        if len(rows) >= limit:
            break
    return pd.DataFrame(
        {
            "mirna_id": [f"decoy-{index}" for index in range(len(rows))],
            "mirna_seq": [mirna for mirna, _ in rows],
            "target_id": ["decoy"] * len(rows),
            "target_seq": [window for _, window in rows],
            "label": 0,
        }
    )
