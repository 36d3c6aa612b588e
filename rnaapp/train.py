"""One training loop for every model family.

Seeds everything, picks the device (CUDA, then CPU), uses mixed precision on CUDA, stops early on
validation AUC, keeps the best weights, and reports progress through a callback so that the command line
(tqdm) and the app (``st.progress``) show the same thing. With ``verdict=True`` (every training that saves:
``rnaapp train``, the Train page's job, :func:`train_and_save`) it ends by judging the model against chance
and its task's baselines on the validation pairs (:func:`judge_training`, :mod:`rnaapp.verdict`) and stores
the verdict in the card's ``training["verdict"]``. :func:`fit` writes nothing; the model is only
written to disk (:func:`rnaapp.registry.save_model`, atomic) after training succeeded, so a failed or
cancelled run never damages the previous model.

:func:`train_and_save` is the Python API's training that saves: it checks the name and the model folder
(writable, room for the model: :func:`check_can_save`) and holds the model name's training lock
(:mod:`rnaapp.registry.locks`) from before training until the model is saved, so that a second training of
the same name is refused at its start instead of silently replacing the first one's model.
"""

from __future__ import annotations

import copy
import dataclasses
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch

from rnaapp.inference import batch_logits, pair_names, predict
from rnaapp.inference.options import (  # noqa: F401 - DEVICE_PATTERN: old import path
    DEVICE_PATTERN,
    check_device_name,
    describe_device,
    resolve_device,
)
from rnaapp.metrics import compute_metrics
from rnaapp.models import Family, config_from_dict, get_family
from rnaapp.registry import ModelCard, TrainedModel, check_new_name, save_model, set_default
from rnaapp.registry.locks import check_model_folder, save_bytes_needed, training_lock


@dataclass(frozen=True)
class TrainingConfig:
    """Optimisation settings.

    Attributes
    ----------
    epochs
        Maximum number of passes over the training pairs.
    batch_size
        Pairs per optimisation step.
    learning_rate, weight_decay
        AdamW settings.
    patience
        Epochs without a better validation AUC before stopping.
    seed
        Seed of every random number generator used.
    device
        ``"auto"`` (CUDA when available, else CPU), ``"cpu"`` or ``"cuda"``.
    mixed_precision
        Use autocast (bfloat16 where supported, else float16 with loss scaling) on CUDA.
    valid_fraction
        Share of the training pairs held out for early stopping when no validation set is given.
    max_grad_norm
        Gradient clipping norm.
    ema_decay
        Decay of an exponential moving average of the weights, which is what gets validated and kept
        (0 turns it off). Its decay warms up as ``min(ema_decay, (1 + step) / (10 + step))``.
    balance
        ``"none"``: every pair weighs the same. ``"mirna"``: within each miRNA that has both labels, its
        positive and its negative pairs weigh the same in the loss (:func:`balancing_weights`), so the
        model cannot learn "this miRNA is mostly negative" from an unbalanced pool (site_deepmirnatar
        train holds hsa-miR-140-3p 45 times as a negative and twice as a positive).
    """

    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 1e-3
    weight_decay: float = 1e-4
    patience: int = 5
    seed: int = 0
    device: str = "auto"
    mixed_precision: bool = True
    valid_fraction: float = 0.1
    max_grad_norm: float = 1.0
    ema_decay: float = 0.999
    balance: str = "none"

    def __post_init__(self) -> None:
        """Refuse settings of the wrong type or out of range, with the setting's name."""
        whole = {"epochs": 1, "batch_size": 1, "patience": 1, "seed": 0}
        for name, minimum in whole.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be a whole number, not {value!r}")
            if value < minimum:
                raise ValueError(f"{name} must be at least {minimum}, not {value}")
        # (name, lowest, highest, whether the lowest value itself is allowed)
        ranges = {
            "learning_rate": (0.0, None, False),
            "weight_decay": (0.0, None, True),
            "valid_fraction": (0.0, 1.0, False),
            "max_grad_norm": (0.0, None, False),
            "ema_decay": (0.0, 1.0, True),
        }
        for name, (lowest, highest, closed) in ranges.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{name} must be a number, not {value!r}")
            if (
                value < lowest
                or (value == lowest and not closed)
                or (highest is not None and value >= highest)
            ):
                bounds = f"{'at least' if closed else 'above'} {lowest:g}" + (
                    f" and below {highest:g}" if highest is not None else ""
                )
                raise ValueError(f"{name} must be {bounds}, not {value:g}")
        if not isinstance(self.mixed_precision, bool):
            raise ValueError(f"mixed_precision must be true or false, not {self.mixed_precision!r}")
        check_device_name(self.device)
        if self.balance not in BALANCE_MODES:
            raise ValueError(f"balance must be one of {list(BALANCE_MODES)}, not {self.balance!r}")


#: Ways :attr:`TrainingConfig.balance` can weigh the training pairs.
BALANCE_MODES = ("none", "mirna")


def balancing_weights(pairs: pd.DataFrame, balance: str) -> np.ndarray:
    """Loss weight of each training pair, mean 1 (see :attr:`TrainingConfig.balance`).

    Parameters
    ----------
    pairs
        Columns ``mirna_seq`` and ``label``.
    balance
        ``"none"`` (all ones) or ``"mirna"``: a pair of a miRNA with ``n`` pairs, ``n_y`` of them with its
        label ``y``, weighs ``n / (2 n_y)`` when the miRNA has both labels, else 1.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(pairs),)``, float64.
    """
    if balance not in BALANCE_MODES:
        raise ValueError(f"balance must be one of {list(BALANCE_MODES)}, not {balance!r}")
    if balance == "none" or len(pairs) == 0:
        return np.ones(len(pairs))
    labels = pairs["label"].to_numpy()
    keys = pairs["mirna_seq"].to_numpy()
    per_mirna = pd.Series(labels).groupby(keys)
    total = per_mirna.transform("size").to_numpy(dtype=np.float64)
    positives = per_mirna.transform("sum").to_numpy(dtype=np.float64)
    same_label = np.where(labels == 1, positives, total - positives)
    mixed = (positives > 0) & (positives < total)
    weights = np.where(mixed, total / (2.0 * same_label), 1.0)
    return weights / weights.mean()


# Settings that suit some families better than the defaults.
FAMILY_TRAINING_DEFAULTS: dict[str, dict[str, Any]] = {
    "seed_rule": {
        "learning_rate": 0.05,
        "batch_size": 1024,
        "epochs": 20,
        "weight_decay": 0.0,
        "ema_decay": 0.0,
    },
    # Plant lncRNA models: ~100 steps per epoch on the benchmark pool, so a shorter weight average.
    **{
        family: {"batch_size": 64, "epochs": 10, "patience": 3, "ema_decay": 0.99}
        for family in ("mixlmi", "premli", "plant_ensemble")
    },
    "pairing_mlp": {"batch_size": 256, "epochs": 60, "patience": 8, "learning_rate": 3e-3, "ema_decay": 0.0},
    # Gene association models: ~50 steps per epoch on MTIS-9214.
    **{
        family: {"batch_size": 256, "epochs": 30, "patience": 6, "learning_rate": 2e-3, "ema_decay": 0.0}
        for family in ("grmmi", "aemigap")
    },
    "hybrid_mfe": {
        "learning_rate": 0.05,
        "batch_size": 1024,
        "epochs": 30,
        "weight_decay": 0.0,
        "ema_decay": 0.0,
    },
}


def training_config_for(family: str, overrides: Mapping[str, Any] | None = None) -> TrainingConfig:
    """The training config of ``family``: defaults, then family defaults, then ``overrides``."""
    values = dict(FAMILY_TRAINING_DEFAULTS.get(family, {}))
    values.update(overrides or {})
    return config_from_dict(TrainingConfig, values)


@dataclass(frozen=True)
class TrainingEvent:
    """What the progress callback receives.

    Attributes
    ----------
    stage
        ``"prepare"`` (featurising, embeddings), ``"batch"`` (within an epoch), ``"epoch"`` (epoch done) or
        ``"verdict"`` (after the last epoch: comparing with the baselines, then the verdict's text).
    epoch, epochs
        Current epoch (1-based) and the maximum.
    batch, batches
        Steps done in this epoch and steps per epoch.
    train_loss
        Mean training loss so far in this epoch.
    valid_loss, valid_metrics
        After an epoch: validation loss and metrics (see :func:`rnaapp.metrics.compute_metrics`).
    improved
        After an epoch: whether validation AUC improved (these weights are kept).
    message
        Human-readable status line.
    """

    stage: str
    epoch: int = 0
    epochs: int = 0
    batch: int = 0
    batches: int = 0
    train_loss: float = math.nan
    valid_loss: float = math.nan
    valid_metrics: dict[str, float] = field(default_factory=dict)
    improved: bool = False
    message: str = ""

    @property
    def fraction(self) -> float:
        """Overall progress in [0, 1]."""
        if self.stage == "prepare" or not self.epochs:
            return 0.0
        within = self.batch / self.batches if self.batches else 1.0
        return min(1.0, (self.epoch - 1 + within) / self.epochs)


TrainingProgress = Callable[[TrainingEvent], None]


class TrainingCancelled(RuntimeError):
    """Raised when ``should_stop()`` returned True; nothing was saved."""


class WeightAverage:
    """Exponential moving average of a module's floating-point weights and buffers."""

    def __init__(self, module: torch.nn.Module, decay: float) -> None:
        self.decay = decay
        self.steps = 0
        self.shadow = {
            key: value.detach().clone()
            for key, value in module.state_dict().items()
            if value.dtype.is_floating_point
        }

    @torch.no_grad()
    def update(self, module: torch.nn.Module) -> None:
        """Blend the module's current values into the average (with a smaller decay over the first steps)."""
        self.steps += 1
        decay = min(self.decay, (1 + self.steps) / (10 + self.steps))
        for key, value in module.state_dict().items():
            if key in self.shadow:
                self.shadow[key].mul_(decay).add_(value.detach(), alpha=1 - decay)

    def state_dict(self, module: torch.nn.Module) -> dict[str, torch.Tensor]:
        """The module's state with the averaged values in place of the trained ones."""
        return {key: self.shadow.get(key, value) for key, value in module.state_dict().items()}


def set_seed(seed: int) -> None:
    """Seed Python, NumPy and torch (CPU and CUDA)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seeds code that uses the legacy global generator
    torch.manual_seed(seed)


def featurize_pairs(family: Family, config: Any, pairs: pd.DataFrame) -> dict[str, np.ndarray]:
    """``family.featurize`` of a pair table; families that use names also get ``mirna_id``/``target_id``."""
    mirnas, targets = pairs["mirna_seq"].tolist(), pairs["target_seq"].tolist()
    if not family.uses_names:
        return family.featurize(config, mirnas, targets)
    return family.featurize(config, mirnas, targets, **pair_names(pairs))


def _to_tensors(features: Mapping[str, np.ndarray]) -> dict[str, torch.Tensor]:
    return {key: torch.from_numpy(np.ascontiguousarray(value)) for key, value in features.items()}


def mixed_precision_dtype(device: torch.device, enabled: bool) -> torch.dtype | None:
    """Autocast dtype for training on ``device``: bfloat16 (or float16) on CUDA when enabled, else None."""
    if device.type == "cuda" and enabled:
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return None


def hold_out(pairs: pd.DataFrame, fraction: float, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split off a stratified, seeded validation share of ``pairs`` (by label)."""
    rng = np.random.default_rng(seed)
    valid_index = []
    for _, group in pairs.groupby("label"):
        count = max(1, int(round(len(group) * fraction)))
        valid_index.extend(rng.choice(group.index.to_numpy(), size=min(count, len(group) - 1), replace=False))
    valid = pairs.loc[sorted(valid_index)]
    return pairs.drop(index=valid.index), valid


def fit(
    family_name: str,
    train_pairs: pd.DataFrame,
    valid_pairs: pd.DataFrame | None = None,
    *,
    model_config: Mapping[str, Any] | Any | None = None,
    training_config: TrainingConfig | None = None,
    progress: TrainingProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
    name: str = "unsaved",
    verdict: bool = False,
    start_from: TrainedModel | None = None,
) -> TrainedModel:
    """Train a model of ``family_name`` on labelled pairs.

    Parameters
    ----------
    family_name
        A registered family (see :data:`rnaapp.models.FAMILIES`).
    train_pairs
        Columns ``mirna_seq``, ``target_seq``, ``label`` (as :func:`rnaapp.io.read_pairs` gives).
    valid_pairs
        For early stopping; when None, ``training_config.valid_fraction`` of ``train_pairs`` is held out.
    model_config
        The family's config object, or a dict of settings overriding its defaults.
    training_config
        Optimisation settings; :func:`training_config_for` the family by default.
    progress
        Called with a :class:`TrainingEvent` during preparation, about ten times per epoch and after
        each epoch.
    should_stop
        Polled between steps; when it returns True, :class:`TrainingCancelled` is raised.
    name
        Name written to the returned model's card.
    verdict
        After training, judge the model against chance and its task's baselines on the validation pairs
        (:func:`judge_training`; a few seconds) and store it as ``training["verdict"]``.
    start_from
        A trained model of the same family to fine-tune: its config and weights are the starting point
        (``model_config`` must then be None) instead of the family's data-dependent initialisation; the
        card records its name (``training["started_from"]``). It is not changed.

    Returns
    -------
    TrainedModel
        With the weights of the epoch of best validation AUC, in eval mode on the CPU, and a card whose
        ``training`` holds the history, settings, data sizes and (``verdict=True``) the verdict.
    """
    family = get_family(family_name)
    if start_from is not None:
        if start_from.family.name != family.name:
            raise ValueError(f"cannot fine-tune a {start_from.family.name} model as family {family.name}")
        if model_config is not None:
            raise ValueError("a fine-tuned model keeps the config of the model it starts from")
        config = start_from.config
    elif model_config is None or isinstance(model_config, Mapping):
        config = config_from_dict(family.config_class, dict(model_config or {}))
    else:
        config = model_config
    settings = training_config or training_config_for(family_name)
    for frame, role in ((train_pairs, "training"), (valid_pairs, "validation")):
        if frame is not None and "label" not in frame.columns:
            raise ValueError(f"the {role} pairs have no 'label' column")
    if valid_pairs is None:
        train_pairs, valid_pairs = hold_out(train_pairs, settings.valid_fraction, settings.seed)
    if train_pairs["label"].nunique() < 2 or valid_pairs["label"].nunique() < 2:
        raise ValueError(
            "training needs both positive (1) and negative (0) pairs in training and validation data"
        )

    def report(event: TrainingEvent) -> None:
        if progress is not None:
            progress(event)

    set_seed(settings.seed)
    device = resolve_device(settings.device)
    report(TrainingEvent("prepare", epochs=settings.epochs, message=f"featurising {len(train_pairs)} pairs"))
    if start_from is None:
        config = family.prepare(config, train_pairs, settings.seed)
    train_mirnas, train_targets = train_pairs["mirna_seq"].tolist(), train_pairs["target_seq"].tolist()
    train_arrays = featurize_pairs(family, config, train_pairs)
    valid_features = _to_tensors(featurize_pairs(family, config, valid_pairs))
    train_labels = torch.tensor(train_pairs["label"].to_numpy(), dtype=torch.float32)
    train_weights = torch.tensor(balancing_weights(train_pairs, settings.balance), dtype=torch.float32)
    valid_labels_array = valid_pairs["label"].to_numpy().astype(int)

    module = family.build(config)
    report(TrainingEvent("prepare", epochs=settings.epochs, message="initialising the model"))
    if start_from is None:
        family.initialise(module, config, train_mirnas, train_targets, settings.seed, features=train_arrays)
        train_arrays = family.initialise_from_pairs(module, config, train_pairs, train_arrays, settings.seed)
    else:
        module.load_state_dict(start_from.module.state_dict())
    train_features = _to_tensors(train_arrays)
    module.to(device)

    optimiser = torch.optim.AdamW(
        module.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimiser, mode="max", factor=0.5, patience=2)
    use_scaler = device.type == "cuda" and settings.mixed_precision and not torch.cuda.is_bf16_supported()
    scaler = torch.amp.GradScaler("cuda", enabled=use_scaler)
    loss_function = torch.nn.BCEWithLogitsLoss()
    generator = torch.Generator().manual_seed(settings.seed)
    autocast_dtype = mixed_precision_dtype(device, settings.mixed_precision)
    average = WeightAverage(module, settings.ema_decay) if settings.ema_decay > 0 else None

    size = len(train_labels)
    batches = max(1, math.ceil(size / settings.batch_size))
    report_every = max(1, batches // 10)
    best_auc, best_state, best_epoch, stale = -math.inf, None, 0, 0
    best_probabilities = np.full(len(valid_labels_array), 0.5)
    history: list[dict[str, Any]] = []
    started = time.time()
    for epoch in range(1, settings.epochs + 1):
        epoch_started = time.time()
        module.train()
        order = torch.randperm(size, generator=generator)
        loss_sum, seen = 0.0, 0
        for step in range(batches):
            if should_stop is not None and should_stop():
                raise TrainingCancelled("training was cancelled; no model was saved")
            index = order[step * settings.batch_size : (step + 1) * settings.batch_size]
            batch = {key: value[index].to(device, non_blocking=True) for key, value in train_features.items()}
            labels = train_labels[index].to(device)
            with torch.autocast(device.type, dtype=autocast_dtype, enabled=autocast_dtype is not None):
                logits = module(**batch)
            pair_losses = torch.nn.functional.binary_cross_entropy_with_logits(
                logits.float(), labels, reduction="none"
            )
            loss = (pair_losses * train_weights[index].to(device)).mean()
            optimiser.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimiser)
            torch.nn.utils.clip_grad_norm_(module.parameters(), settings.max_grad_norm)
            scaler.step(optimiser)
            scaler.update()
            if average is not None:
                average.update(module)
            loss_sum += float(loss.detach()) * len(index)
            seen += len(index)
            if (step + 1) % report_every == 0 and step + 1 < batches:
                report(
                    TrainingEvent(
                        "batch",
                        epoch,
                        settings.epochs,
                        step + 1,
                        batches,
                        loss_sum / seen,
                        message=f"epoch {epoch}/{settings.epochs}: step {step + 1}/{batches}",
                    )
                )
        if not math.isfinite(loss_sum):
            raise FloatingPointError(
                f"training diverged in epoch {epoch} (loss is not finite); try a lower learning rate"
            )

        module.eval()
        if average is not None:
            trained_state = {key: value.detach().clone() for key, value in module.state_dict().items()}
            module.load_state_dict(average.state_dict(module))
        valid_logits = torch.from_numpy(
            np.concatenate(
                [
                    logits
                    for _, logits, _ in batch_logits(
                        module,
                        valid_features,
                        device=device,
                        batch_size=max(settings.batch_size, 1024),
                        autocast_dtype=autocast_dtype,
                    )
                ]
            )
        )
        valid_loss = float(
            loss_function(valid_logits, torch.as_tensor(valid_labels_array, dtype=torch.float32))
        )
        valid_probabilities = torch.sigmoid(valid_logits).numpy()
        metrics = compute_metrics(valid_labels_array, valid_probabilities)
        auc = metrics["AUC"]
        improved = auc > best_auc + 1e-5
        if improved:
            best_auc, best_epoch, stale = auc, epoch, 0
            best_probabilities = valid_probabilities.astype(np.float64)
            best_state = copy.deepcopy(
                {key: value.detach().cpu() for key, value in module.state_dict().items()}
            )
        else:
            stale += 1
        if average is not None:
            module.load_state_dict(trained_state)
        scheduler.step(auc)
        row = {
            "epoch": epoch,
            "train_loss": loss_sum / max(seen, 1),
            "valid_loss": valid_loss,
            "valid_auc": auc,
            "valid_acc": metrics["ACC"],
            "seconds": round(time.time() - epoch_started, 2),
        }
        history.append(row)
        report(
            TrainingEvent(
                "epoch",
                epoch,
                settings.epochs,
                batches,
                batches,
                row["train_loss"],
                valid_loss,
                {key: float(value) for key, value in metrics.items()},
                improved,
                message=f"epoch {epoch}/{settings.epochs}: train loss {row['train_loss']:.4f}, "
                f"valid loss {valid_loss:.4f}, valid AUC {auc:.4f}" + (" (best)" if improved else ""),
            )
        )
        if stale >= settings.patience:
            break

    module.load_state_dict(best_state)
    module.to("cpu").eval()
    card = ModelCard(
        name=name,
        family=family.name,
        task=family.task,
        config=dataclasses.asdict(config),
        description=family.description,
        training={
            "train_pairs": int(size),
            "valid_pairs": int(len(valid_labels_array)),
            "settings": dataclasses.asdict(settings) | {"device": str(device)},
            "best_epoch": best_epoch,
            "best_valid_auc": float(best_auc),
            "seconds": round(time.time() - started, 1),
            "history": history,
        }
        | ({"started_from": start_from.name} if start_from is not None else {}),
    )
    model = TrainedModel(card=card, family=family, config=config, module=module)
    if verdict:
        if should_stop is not None and should_stop():
            raise TrainingCancelled("training was cancelled; no model was saved")
        card.training["verdict"] = judge_training(
            model,
            valid_pairs,
            best_probabilities,
            seed=settings.seed,
            device=settings.device,
            progress=lambda message: report(
                TrainingEvent("verdict", settings.epochs, settings.epochs, batches, batches, message=message)
            ),
        )
    return model


def judge_training(
    model: TrainedModel,
    valid_pairs: pd.DataFrame,
    probabilities: np.ndarray,
    *,
    baselines: list[str] | None = None,
    max_pairs: int | None = None,
    seed: int = 0,
    device: str = "auto",
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The verdict of a trained model against chance and its task's baselines, on its validation pairs.

    Each baseline (:func:`rnaapp.tasks.task_baselines` of the model's task, strongest first; baselines of
    the model's own family are left out) scores the validation pairs with
    :func:`rnaapp.inference.score_pairs`, the scoring of ``rnaapp predict``. Large validation splits are
    compared on a stratified sample of :data:`rnaapp.verdict.MAX_BASELINE_PAIRS` pairs (the text says so):
    the baselines' cost grows with the pairs and the target lengths, the AUC's precision hardly beyond it.

    Parameters
    ----------
    model
        The trained model (its card gives the task and family).
    valid_pairs
        The validation pairs with ``label``, in the order of ``probabilities``.
    probabilities
        The model's probabilities of ``valid_pairs`` (those of the kept epoch).
    baselines
        Baseline model names; the task's (:func:`rnaapp.tasks.task_baselines`) by default.
    max_pairs
        At most this many pairs are scored by the baselines; :data:`rnaapp.verdict.MAX_BASELINE_PAIRS` by
        default.
    seed
        Seed of the sample.
    device
        Where the baselines run (as :class:`rnaapp.inference.InferenceOptions`' ``device``).
    progress
        Called with a status line before each baseline and with the verdict's text at the end.

    Returns
    -------
    dict
        :func:`rnaapp.verdict.training_verdict`'s verdict, plus ``seconds`` (time taken).
    """
    from rnaapp.inference import InferenceOptions, score_pairs
    from rnaapp.registry import list_models, load_model
    from rnaapp.tasks import task_baselines
    from rnaapp.verdict import MAX_BASELINE_PAIRS, comparison_sample, training_verdict

    started = time.time()
    say = progress or (lambda message: None)
    labels = valid_pairs["label"].to_numpy().astype(int)
    names = task_baselines(model.card.task) if baselines is None else list(baselines)
    families = {card.name: card.family for card in list_models()}
    names = [name for name in names if families.get(name) != model.family.name]  # not a baseline of itself
    positions = comparison_sample(labels, MAX_BASELINE_PAIRS if max_pairs is None else max_pairs, seed)
    compared = valid_pairs.iloc[positions].reset_index(drop=True)
    device = str(resolve_device(device))
    options = InferenceOptions(device=device)
    scores: dict[str, np.ndarray] = {}
    skipped: dict[str, str] = {}
    for index, baseline_name in enumerate(names):
        try:
            baseline = load_model(baseline_name, device=device)
        except Exception as error:  # noqa: BLE001 - a missing baseline must not lose a finished training
            skipped[baseline_name] = f"cannot be loaded: {error}"
            continue
        say(
            f"comparing with the baselines on {len(compared):,} validation pairs: "
            f"{baseline_name} ({index + 1}/{len(names)})"
        )
        try:
            table = score_pairs(baseline, compared, options, source="the validation pairs")
        except Exception as error:  # noqa: BLE001 - e.g. InputError: a target this baseline cannot read
            skipped[baseline_name] = f"cannot score these pairs: {error}"
            continue
        scores[baseline_name] = table["probability"].to_numpy(dtype=np.float64)
    verdict = training_verdict(
        labels,
        probabilities,
        scores,
        compared=positions,
        skipped=skipped,
        task=model.card.task,
    )
    verdict["seconds"] = round(time.time() - started, 2)
    say("verdict: " + verdict["text"])
    return verdict


def stratified_folds(labels: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """Fold of every pair for stratified k-fold cross-validation (what :func:`cross_validate` uses).

    Parameters
    ----------
    labels
        ``(n_pairs,)`` 0/1 labels.
    folds
        Number of folds, at least 2.
    seed
        Seed of the shuffle; the same labels, folds and seed give the same folds.

    Returns
    -------
    numpy.ndarray
        ``(n_pairs,)`` int fold numbers ``0 .. folds - 1``; each label is spread evenly over the folds.
    """
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    labels = np.asarray(labels)
    positives = int((labels == 1).sum())
    negatives = len(labels) - positives
    if min(positives, negatives) < folds:
        raise ValueError(
            f"{folds}-fold cross-validation needs at least {folds} positive and {folds} negative pairs, so that "
            f"every fold has both; the data has {positives} positive and {negatives} negative pairs"
        )
    rng = np.random.default_rng(seed)
    assignment = np.empty(len(labels), dtype=int)
    for label in (0, 1):
        positions = np.flatnonzero(labels == label)
        rng.shuffle(positions)
        assignment[positions] = np.arange(len(positions)) % folds
    return assignment


def cross_validate(
    family_name: str,
    pairs: pd.DataFrame,
    *,
    folds: int = 5,
    model_config: Mapping[str, Any] | None = None,
    training_config: TrainingConfig | None = None,
    progress: TrainingProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
    threshold: float = 0.5,
) -> pd.DataFrame:
    """Stratified k-fold cross-validation: train on k-1 folds, measure on the held-out fold.

    ``progress`` and ``should_stop`` are passed to every :func:`fit`.

    Returns
    -------
    pandas.DataFrame
        One row per fold (column ``fold``) with every metric of :func:`rnaapp.metrics.compute_metrics`,
        plus rows ``mean`` and ``std``.
    """
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    settings = training_config or training_config_for(family_name)
    assignment = stratified_folds(pairs["label"].to_numpy(), folds, settings.seed)
    rows = []
    for fold in range(folds):
        test = pairs.iloc[assignment == fold]
        train = pairs.iloc[assignment != fold]
        model = fit(
            family_name,
            train,
            None,
            model_config=model_config,
            training_config=settings,
            progress=progress,
            should_stop=should_stop,
        )
        probabilities = predict(
            model, test["mirna_seq"].tolist(), test["target_seq"].tolist(), **pair_names(test)
        )
        rows.append(
            {"fold": str(fold + 1)} | compute_metrics(test["label"].to_numpy(), probabilities, threshold)
        )
    table = pd.DataFrame(rows)
    numeric = table.drop(columns="fold")
    summary = pd.DataFrame(
        [{"fold": "mean"} | numeric.mean().to_dict(), {"fold": "std"} | numeric.std().to_dict()]
    )
    return pd.concat([table, summary], ignore_index=True)


def model_weight_bytes(
    family_name: str,
    pairs: pd.DataFrame | None = None,
    model_config: Mapping[str, Any] | Any | None = None,
    seed: int = 0,
) -> int | None:
    """Bytes the weights of a model of ``family_name`` will take, from an untrained model built cheaply.

    The config is prepared on ``pairs`` first when given (graph families size their node tables from the
    training pairs' names). Nothing is featurised or trained.

    Returns
    -------
    int or None
        Bytes of every tensor of the model's state; None when the model cannot be built from these
        settings (the training itself then says why).
    """
    try:
        family = get_family(family_name)
        if model_config is None or isinstance(model_config, Mapping):
            config = config_from_dict(family.config_class, dict(model_config or {}))
        else:
            config = model_config
        if pairs is not None:
            try:
                config = family.prepare(config, pairs, seed)
            except (KeyError, ValueError, TypeError):
                pass  # e.g. pairs without names: size the model as configured
        module = family.build(config)
    except (KeyError, ValueError, TypeError, RuntimeError):
        return None
    return int(sum(value.numel() * value.element_size() for value in module.state_dict().values()))


def check_can_save(
    name: str,
    family_name: str,
    pairs: pd.DataFrame | None = None,
    *,
    directory: str | Path | None = None,
    model_config: Mapping[str, Any] | Any | None = None,
    seed: int = 0,
) -> Path:
    """Check, before training, that the model folder can take the model: writable, with room for it.

    Room means :func:`rnaapp.registry.locks.save_bytes_needed` of :func:`model_weight_bytes`: twice the
    weights plus a margin.

    Returns
    -------
    pathlib.Path
        The model folder.

    Raises
    ------
    rnaapp.registry.locks.ModelFolderError
        (an ``OSError``) one line saying what is wrong with the folder.
    """
    needed = save_bytes_needed(model_weight_bytes(family_name, pairs, model_config, seed))
    return check_model_folder(directory, needed, name=name)


def train_and_save(
    family_name: str,
    train_pairs: pd.DataFrame,
    valid_pairs: pd.DataFrame | None = None,
    *,
    name: str,
    directory: str | Path | None = None,
    model_config: Mapping[str, Any] | Any | None = None,
    training_config: TrainingConfig | None = None,
    progress: TrainingProgress | None = None,
    should_stop: Callable[[], bool] | None = None,
    notes: Mapping[str, Any] | None = None,
    make_default: bool = False,
) -> TrainedModel:
    """Train a model with :func:`fit` and save it as ``name``, one training of that name at a time.

    Before any training work the name is checked (:func:`rnaapp.registry.check_new_name`), the model
    folder is checked (:func:`check_can_save`) and the name's training lock is taken; the lock is held
    until the model is saved.

    Parameters
    ----------
    family_name, train_pairs, valid_pairs, model_config, training_config, progress, should_stop
        As for :func:`fit`.
    name
        The name to save the model as.
    directory
        The model folder (the user model folder by default).
    notes
        Entries added to the card's ``training`` (e.g. ``data``, ``command``) before it is saved.
    make_default
        Make the model the default of its task and family once saved.

    Returns
    -------
    TrainedModel
        The saved model.

    Raises
    ------
    rnaapp.registry.locks.TrainingInProgressError
        (an ``OSError``) at once, when a training of ``name`` in that folder is running.
    rnaapp.registry.locks.ModelFolderError
        (an ``OSError``) at once, when the folder is not writable or lacks room.
    rnaapp.registry.ModelSaveError
        (an ``OSError``) when the save fails after training; the previous model of that name is kept.
    """
    name = check_new_name(name, directory)
    check_model_folder(directory, name=name)
    with training_lock(name, directory, command="Python rnaapp.train.train_and_save"):
        settings = training_config or training_config_for(family_name)
        check_can_save(
            name,
            family_name,
            train_pairs,
            directory=directory,
            model_config=model_config,
            seed=settings.seed,
        )
        model = fit(
            family_name,
            train_pairs,
            valid_pairs,
            model_config=model_config,
            training_config=settings,
            progress=progress,
            should_stop=should_stop,
            name=name,
            verdict=True,
        )
        model.card.training.update(dict(notes or {}))
        save_model(model, directory, name=name)
        if make_default:
            set_default(name, directory=directory)
    return model
