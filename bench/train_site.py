"""Train a site-task model on a benchmark split and write it, with its card, into ``weights/``.

Usage::

    python bench/train_site.py --family mirna_site --dataset deepmirnatar --name mirna_site-deepmirnatar

The card records the command, seed, data and split, and the metrics measured on the split's test data
(and on the other dataset's test data, for the cross-dataset check).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path

import pandas as pd
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from site_data import REPOSITORY, load, training_data  # noqa: E402

from rnaapp.inference import predict  # noqa: E402
from rnaapp.metrics import compute_metrics  # noqa: E402
from rnaapp.registry import check_new_name, save_model  # noqa: E402
from rnaapp.train import fit, training_config_for  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--family", required=True)
    parser.add_argument(
        "--dataset",
        choices=["deepmirnatar", "clash", "combined", "combined_paired", "scan", "scan_decoys"],
        required=True,
    )
    parser.add_argument("--name", required=True)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--patience", type=int, default=None)
    parser.add_argument("--learning-rate", type=float, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ema-decay", type=float, default=None, help="weight averaging (0 = off)")
    parser.add_argument(
        "--model-setting",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="architecture setting (JSON value), e.g. pairing_features=true; repeatable",
    )
    parser.add_argument(
        "--balance",
        choices=["none", "mirna"],
        default=None,
        help="mirna: each miRNA's positives and negatives weigh the same in the loss",
    )
    parser.add_argument("--init", help="fine-tune this shipped model (its config and weights) instead")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = torch default)")
    parser.add_argument("--output", default=str(REPOSITORY / "weights"))
    arguments = parser.parse_args()
    if arguments.threads:
        torch.set_num_threads(arguments.threads)
    check_new_name(arguments.name, arguments.output)  # refused now, not after the training

    overrides = {"seed": arguments.seed}
    for key in ("epochs", "patience", "learning_rate", "batch_size", "ema_decay", "balance"):
        if getattr(arguments, key) is not None:
            overrides[key] = getattr(arguments, key)
    settings = training_config_for(arguments.family, overrides)
    train, valid, test, about = training_data(arguments.dataset)
    print(
        f"{arguments.family} on {arguments.dataset}: {len(train)} train, "
        f"{'held-out' if valid is None else len(valid)} valid, {len(test)} test",
        flush=True,
    )
    started = time.time()
    model_settings = {}
    for setting in arguments.model_setting:
        key, _, value = setting.partition("=")
        model_settings[key] = json.loads(value)
    start_from = None
    if arguments.init:
        from rnaapp.registry import load_model

        if model_settings:
            parser.error("--model-setting cannot change a model that --init fine-tunes")
        start_from = load_model(arguments.init)
    model = fit(
        arguments.family,
        train,
        valid,
        model_config=None if start_from is not None else model_settings,
        training_config=settings,
        start_from=start_from,
        name=arguments.name,
        progress=lambda event: print(event.message, flush=True) if event.stage == "epoch" else None,
    )
    model.card.training.update(about)
    model.card.training["seed"] = arguments.seed
    model.card.training["dataset"] = arguments.dataset
    model.card.training["command"] = "python bench/train_site.py " + shlex.join(sys.argv[1:])
    _, _, deepmirnatar_test, _ = training_data("deepmirnatar")
    _, _, clash_test, _ = training_data("clash")
    for label, frame in (("deepmirnatar_test", deepmirnatar_test), ("clash_test", clash_test)):
        probabilities = predict(model, frame.mirna_seq.tolist(), frame.target_seq.tolist())
        metrics = compute_metrics(frame.label.to_numpy(), probabilities)
        model.card.metrics[label] = {key: round(float(value), 4) for key, value in metrics.items()}
        print(label, {k: model.card.metrics[label][k] for k in ("AUC", "AUPR", "ACC", "F1")}, flush=True)
    parclip = load("site_parclip/test.csv")
    positives = parclip[parclip.label == 1]
    found = predict(model, positives.mirna_seq.tolist(), positives.target_seq.tolist()) >= 0.5
    model.card.metrics["parclip_positives_at_0.5"] = {
        "found": int(found.sum()),
        "of": len(positives),
        "by_mirna": {
            mirna: f"{int(hits.sum())}/{len(hits)}"
            for mirna, hits in pd.Series(found, index=positives.mirna_id.to_numpy()).groupby(level=0)
        },
        "protocol": "site_parclip/test.csv positives, the model's own probability at 0.5 (balanced prior)",
    }
    print("PAR-CLIP positives at 0.5:", model.card.metrics["parclip_positives_at_0.5"], flush=True)
    path = save_model(model, arguments.output)
    print(f"wrote {path} in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
