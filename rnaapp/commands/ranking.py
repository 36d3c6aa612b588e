"""``rnaapp rank``: the most likely unknown miRNA-gene pairs of a miRNA-gene association model."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from rnaapp.commands.common import (
    CommandError,
    _check_file,
    _check_table_output,
    _is_gene,
    _load,
    _read,
    _write_csv,
    inference_options,
)
from rnaapp.commands.training import _training_reporter, _training_settings


def command_rank(arguments: argparse.Namespace) -> int:
    """``rnaapp rank``: the top unknown miRNA-gene pairs of a trained (or freshly trained) gene model.

    With ``--save NAME`` (and ``--family``), the user model folder is checked (writable) and the name's
    training lock is taken before anything is read, as ``rnaapp train`` does: a second training of the
    same name is refused at its start; the lock is held until the model is saved.
    """
    if not (arguments.save and not arguments.model):
        return _rank(arguments)
    from rnaapp.registry import check_new_name
    from rnaapp.registry.locks import TrainingLock, check_model_folder

    try:
        check_new_name(arguments.save)
        check_model_folder(name=arguments.save)
        lock = TrainingLock(arguments.save, command="rnaapp rank").acquire()
    except (ValueError, OSError) as error:  # bad name, TrainingInProgressError, ModelFolderError
        raise CommandError(str(error)) from None
    try:
        return _rank(arguments)
    finally:
        lock.release()


def _rank(arguments: argparse.Namespace) -> int:
    """:func:`command_rank` once the training lock, if any, is held."""
    from tqdm import tqdm

    from rnaapp.rank import rank_candidates, train_and_rank

    if arguments.model and arguments.family:
        raise CommandError(
            "give either --model (rank with a trained model) or --family (train one), not both"
        )
    given = {"--config": arguments.config, "--epochs": arguments.epochs, "--seed": arguments.seed}
    given["--save"] = arguments.save
    training_options = [option for option, value in given.items() if value is not None]
    if arguments.model and training_options:
        raise CommandError(
            f"{', '.join(training_options)} only go with --family (training a model to rank with)"
        )
    if arguments.save:
        from rnaapp.registry import check_new_name

        try:
            check_new_name(arguments.save)
        except ValueError as error:
            raise CommandError(str(error)) from None
    _check_file(arguments.known_pairs)
    if arguments.output:
        _check_table_output(arguments.output, "-o")
    options = inference_options(arguments)
    source = Path(arguments.known_pairs).name
    if arguments.model:
        model = _load(arguments.model, options)
        if not _is_gene(model):
            from rnaapp.models import TASKS

            raise CommandError(
                f"rnaapp rank ranks miRNA–gene pairs, and model '{model.name}' is a "
                f"{TASKS.get(model.family.task, model.family.task)} model (family {model.card.family}); give a miRNA–gene model (family grmmi or aemigap; "
                "`rnaapp models` lists them) or --family to train one"
            )
        known = _read(arguments.known_pairs, names_only=True)
    else:
        arguments.family = arguments.family or "grmmi"
        model_settings, training = _training_settings(arguments)
        known = _read(arguments.known_pairs, require_label=True, names_only=True)
    if arguments.utrs:
        from rnaapp.io import attach_target_sequences, read_fasta

        _check_file(arguments.utrs)
        known, genes = attach_target_sequences(known, read_fasta(arguments.utrs))
        print(
            f"{Path(arguments.utrs).name}: 3'UTRs attached to {genes:,} of the {known['target_id'].nunique():,} genes",
            file=sys.stderr,
        )
    mirnas = known["mirna_id"].nunique()
    bar = tqdm(
        total=mirnas, desc=f"ranking {source}", unit="miRNA", file=sys.stderr, leave=False, disable=mirnas < 2
    )
    last = [0]

    def advance(done: int, _: int) -> None:
        bar.update(done - last[0])
        last[0] = done

    if arguments.model:
        try:
            table = rank_candidates(
                model, known, top=arguments.top, progress=advance, options=options, prior=arguments.prior
            )
        finally:
            bar.close()
    else:
        from dataclasses import asdict

        from rnaapp.train import TrainingCancelled

        report, bars = _training_reporter(training.epochs, f"training {arguments.family}")
        try:
            model, table = train_and_rank(
                known,
                arguments.family,
                top=arguments.top,
                model_config=model_settings,
                training_overrides=asdict(training),
                progress=advance,
                training_progress=report,
                options=options,
                prior=arguments.prior,
            )
        except (TrainingCancelled, ValueError, TypeError, FloatingPointError) as error:
            raise CommandError(f"training failed: {error}") from None
        finally:
            for training_bar in bars:
                training_bar.close()
            bar.close()
        if arguments.save:
            from rnaapp.registry import save_model

            model.card.training.update(
                {"data": str(arguments.known_pairs), "command": "rnaapp " + shlex.join(arguments.argv)}
            )
            try:
                card_path = save_model(model, name=arguments.save)
            except (ValueError, OSError) as error:  # ModelSaveError: one line, the previous model kept
                raise CommandError(str(error)) from None
            print(f"saved model '{model.name}' to {card_path}", file=sys.stderr)
    if arguments.output:
        _write_csv(table, arguments.output)
        print(
            f"wrote the top {len(table)} candidate pairs to {arguments.output} (model {model.name})",
            file=sys.stderr,
        )
    else:
        import pandas as pd

        with pd.option_context("display.max_columns", None, "display.width", 200):
            print(table.to_string(index=False, float_format=lambda value: f"{value:.4f}"))
    return 0
