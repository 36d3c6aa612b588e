"""What every command shares: one-line errors, loading models and pair files, checking and writing outputs."""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any


class CommandError(Exception):
    """A problem to report as one line, without a traceback."""


def inference_options(arguments: argparse.Namespace):
    """The :class:`~rnaapp.inference.InferenceOptions` of a command's flags.

    ``--device``, ``--batch-size``, ``--precision``, ``--threads`` and ``--workers``; defaults for those not
    given. A bad value is a :class:`CommandError`.
    """
    from rnaapp.inference import InferenceOptions

    try:
        return InferenceOptions.from_flags(arguments)
    except ValueError as error:
        raise CommandError(str(error)) from None


def _load(reference: str | None, device: Any):
    """Load a model by name, family or task on ``device`` (a name, or the options of the command)."""
    from rnaapp.registry import ModelNotFoundError, load_model
    from rnaapp.train import resolve_device

    if reference is not None and not reference.strip():
        raise CommandError("--model is empty: give a model name, a family or a task (site, plant, gene)")
    device = getattr(device, "device", device)
    try:
        return load_model(reference, device=resolve_device(device))
    except (ModelNotFoundError, ValueError) as error:
        raise CommandError(str(error)) from None
    except KeyError as error:  # a card naming a family this version does not know
        raise CommandError(str(error.args[0]) if error.args else str(error)) from None


def _warn_no_evidence(model, scored, source: str) -> None:
    """Name on stderr the rows of a gene model's scores that rest on no evidence about the miRNA.

    Those are rows whose miRNA has no graph edge and no sequence (``node_status`` unseen miRNA or both
    unseen, and no miRNA sequence).
    """
    no_evidence = (scored["node_status"].isin(["unseen miRNA", "both unseen"])) & (
        scored["mirna_seq"].fillna("").astype(str) == ""
    )
    if no_evidence.any():
        rows = [str(index + 1) for index in range(len(scored)) if no_evidence.iloc[index]]
        shown = ", ".join(rows[:10]) + (", ..." if len(rows) > 10 else "")
        print(
            f"{source}: warning: {len(rows)} row(s) name a miRNA that is neither in {model.name}'s training "
            f"graph nor in the miRBase file (no sequence): their score rests on no evidence about that miRNA. "
            f"Rows: {shown}.",
            file=sys.stderr,
        )


def _check_output(path: str | Path, option: str) -> None:
    """Refuse, before any work is done, an output path that is a folder or whose folder does not exist.

    rnaapp creates no folders for an output: a mistyped path is named instead of silently created.
    """
    path = Path(path)
    if path.is_dir():
        raise CommandError(f"{option} {path}: is a folder; give a file name")
    folder = path.parent
    if not folder.exists():
        raise CommandError(f"{option} {path}: the folder {folder} does not exist; create it first")
    if not folder.is_dir():
        raise CommandError(f"{option} {path}: {folder} is a file, not a folder")


def _check_file(path: str) -> None:
    if not Path(path).is_file():
        raise CommandError(f"{path}: no such file")


def _read(path: str, *, require_label: bool = False, names_only: bool = False):
    """Read a pair file.

    With ``names_only`` (gene models) rows may name the miRNA and gene without target sequence, and missing
    miRNA sequences are filled by name from the configured miRBase file.
    """
    from rnaapp.io import read_pairs

    _check_file(path)
    if not names_only:
        pairs = read_pairs(path, require_label=require_label)
    else:
        from rnaapp.settings import load_settings, mirna_reference

        pairs = read_pairs(
            path,
            require_label=require_label,
            require_sequences=False,
            mirna_reference=mirna_reference(load_settings().mirbase_path),
        )
    _note_siteless_targets(pairs, Path(path).name)
    return pairs


def _note_siteless_targets(pairs, source: str) -> None:
    """Print to stderr which rows have a target too short (or only N) to hold a seed site."""
    from rnaapp.io import describe_siteless_targets, siteless_target_rows

    note = describe_siteless_targets(siteless_target_rows(pairs["target_seq"]))
    if note is not None:
        print(f"{source}: note: {note}.", file=sys.stderr)


def _warn_name_mismatches(pairs, source: str) -> None:
    """Print to stderr which rows name a miRNA whose sequence differs from the miRBase file's.

    The built-in examples count too; nothing is printed when no row differs. An unreadable miRBase file
    leaves the check to the built-in examples.
    """
    from rnaapp.io import describe_name_mismatches, mirna_name_mismatches
    from rnaapp.settings import configured_mirna_reference

    mismatches = mirna_name_mismatches(pairs, configured_mirna_reference())
    if not mismatches.empty:
        rows = ", ".join(map(str, mismatches["row"].head(10))) + (", ..." if len(mismatches) > 10 else "")
        print(f"{source}: note: {describe_name_mismatches(mismatches)} Rows: {rows}.", file=sys.stderr)


def _is_gene(model) -> bool:
    return model.family.task == "gene"


#: Table formats written by suffix (``-o``): the pandas writer of each.
TABLE_SUFFIXES = {".csv": "CSV", ".tsv": "TSV", ".txt": "TSV", ".xlsx": "Excel", ".parquet": "Parquet"}

#: Rows an Excel sheet holds (with the header).
EXCEL_MAX_ROWS = 1_048_575


@contextlib.contextmanager
def progress_bar(
    total: int, description: str, *, disable: bool | None = None
) -> Iterator[Callable[[int, int], None]]:
    """A tqdm bar on stderr, as the ``progress(done, total)`` callback the library takes; closed on exit.

    ``disable`` as tqdm's (None: shown on a terminal only).
    """
    from tqdm import tqdm

    bar = tqdm(
        total=total,
        desc=description,
        unit="pair",
        file=sys.stderr,
        leave=False,
        disable=disable,
        mininterval=0.5,
    )
    last = [0]

    def advance(done: int, _: int) -> None:
        bar.update(done - last[0])
        last[0] = done

    try:
        yield advance
    finally:
        bar.close()


def _check_table_output(path: str | Path, option: str = "-o") -> None:
    """Refuse, before any work, an output path whose suffix names no table format rnaapp writes."""
    _check_output(path, option)
    suffix = Path(path).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        formats = ", ".join(f"{key} ({value})" for key, value in TABLE_SUFFIXES.items())
        shown = f"the suffix {suffix!r}" if suffix else "no suffix"
        raise CommandError(f"{option} {path}: {shown} names no table format; give one of {formats}")


def _write_csv(frame, path: str, separator: str | None = None) -> None:
    """Write ``frame`` atomically in the format its suffix names (:data:`TABLE_SUFFIXES`; CSV otherwise).

    ``separator`` replaces the delimiter of a CSV/TSV (e.g. ``;`` for IntaRNA-like tables).

    Raises
    ------
    CommandError
        For an Excel file with more rows than a sheet holds.
    """
    from rnaapp.io import atomic_write

    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        atomic_write(path, lambda temporary: frame.to_parquet(temporary, index=False))
    elif suffix == ".xlsx":
        if len(frame) > EXCEL_MAX_ROWS:
            raise CommandError(
                f"{path}: {len(frame):,} rows do not fit an Excel sheet ({EXCEL_MAX_ROWS:,}); write .parquet "
                "or .csv instead"
            )
        import io

        buffer = io.BytesIO()  # openpyxl checks the file name's suffix, and the temporary file has none
        frame.to_excel(buffer, index=False, engine="openpyxl")
        atomic_write(path, lambda temporary: Path(temporary).write_bytes(buffer.getvalue()))
    else:
        if separator is None:
            separator = "\t" if suffix in {".tsv", ".txt"} else ","
        atomic_write(path, lambda temporary: frame.to_csv(temporary, index=False, sep=separator))


def _json_ready(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(item) for item in value]
    return value


def _whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type for whole numbers of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, not {value}")
        return value

    return parse


_positive_int = _whole_number(1)


_count = _whole_number(0)


def _unit_interval(text: str) -> float:
    """An argparse type for a number in [0, 1] (a quantile, a probability threshold)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, not {text!r}") from None
    if not 0 <= value <= 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, not {value:g}")
    return value


_quantile = _unit_interval


_probability = _unit_interval


def _prior(text: str) -> float:
    """An argparse type for a prior: a number strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, not {text!r}") from None
    if not 0 < value < 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"a prior is strictly between 0 and 1, not {value:g}")
    return value
