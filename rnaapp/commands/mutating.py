"""``rnaapp mutate`` (saturation mutagenesis and seed-mutant design of one pair) and ``rnaapp variants``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rnaapp.commands.common import (
    CommandError,
    _check_file,
    _check_table_output,
    _load,
    _write_csv,
    inference_options,
    progress_bar,
)


def _typed_pair(mirna_text: str, target_text: str) -> tuple[str, str, str]:
    """The miRNA's name and sequence (a sequence or a miRBase name) and the target's sequence, validated."""
    from rnaapp.io import pairs_from_sequences
    from rnaapp.mirna_names import read_typed_mirna

    for option, value in (("--mirna", mirna_text), ("--target", target_text)):
        if not value.strip():
            raise CommandError(f"the sequence given with {option} is empty")
    typed = read_typed_mirna(mirna_text)
    if not typed.usable:
        raise CommandError(f"--mirna: {typed.problem}")
    pair = pairs_from_sequences(typed.sequence, target_text).iloc[0]
    return typed.name or "miRNA", pair["mirna_seq"], pair["target_seq"]


def _designs_path(output: str) -> Path:
    path = Path(output)
    return path.with_name(f"{path.stem}.designs{path.suffix}")


def _print_table(frame) -> None:
    import pandas as pd

    with pd.option_context("display.max_columns", None, "display.width", 200, "display.max_colwidth", 50):
        print(frame.to_string(index=False, float_format=lambda value: f"{value:.3f}"))


def command_mutate(arguments: argparse.Namespace) -> int:
    """``rnaapp mutate``: score every single-nucleotide substitution of a pair; optionally design mutants."""
    import pandas as pd

    from rnaapp.mutagenesis import design_seed_mutants, saturation_mutagenesis

    if not 1 <= arguments.max_substitutions <= 3:
        raise CommandError(
            f"--max-substitutions {arguments.max_substitutions}: a design changes 1 to 3 nucleotides"
        )
    if arguments.output:
        _check_table_output(arguments.output, "-o")
        if arguments.design:
            _check_table_output(_designs_path(arguments.output), "-o")
    name, mirna, target = _typed_pair(arguments.mirna, arguments.target)
    options = inference_options(arguments)
    model = _load(arguments.model, options)  # a gene model is refused by score_sequences (one line)
    molecules = ["target", "mirna"] if arguments.molecule == "both" else [arguments.molecule]
    results = [
        saturation_mutagenesis(
            model,
            mirna,
            target,
            options,
            molecule=molecule,
            start=arguments.start if molecule == "target" else None,
            end=arguments.end if molecule == "target" else None,
            prior=arguments.prior,
        )
        for molecule in molecules
    ]
    table = pd.concat([result.table for result in results], ignore_index=True)
    reference = results[0].reference
    best = (
        f"{reference['best_site_type']} at {reference['best_site_start']}"
        if reference["best_site_start"]
        else "no candidate site"
    )
    regions = ", ".join(f"{result.molecule} {result.region[0] + 1}-{result.region[1]}" for result in results)
    print(
        f"{name} × target ({len(target)} nt), {model.name}: reference score {reference['score']:.3f}, "
        f"probability {reference['probability']:.3f}, best site {best}; {len(table)} substitutions of "
        f"{regions} in {sum(result.seconds for result in results):.2f} s",
        file=sys.stderr,
    )
    if arguments.output:
        _write_csv(table, arguments.output)
        print(f"wrote {len(table)} substitutions to {arguments.output}", file=sys.stderr)
    else:
        _print_table(table.sort_values("delta").head(20))
    if arguments.design:
        other_mirnas = None
        if arguments.other_mirnas:
            from rnaapp.scan import read_mirnas_file
            from rnaapp.settings import load_settings, mirna_reference

            _check_file(arguments.other_mirnas)
            other_mirnas = [
                (other, sequence)
                for other, sequence in read_mirnas_file(
                    arguments.other_mirnas, mirna_reference(load_settings().mirbase_path)
                )
                if sequence != mirna
            ]
        designs = design_seed_mutants(
            model,
            mirna,
            target,
            options,
            max_substitutions=arguments.max_substitutions,
            other_mirnas=other_mirnas,
            prior=arguments.prior,
        )
        print(f"seed-mutant designs: {designs.note}", file=sys.stderr)
        if len(designs.table):
            _print_table(designs.table.drop(columns="mutant"))
            if arguments.output:
                path = _designs_path(arguments.output)
                _write_csv(designs.table, str(path))
                print(f"wrote {len(designs.table)} designs to {path}", file=sys.stderr)
    return 0


def _targets_named(path: str, names: set[str]) -> dict[str, str]:
    """The sequences of the transcripts ``names`` from a FASTA or table, read as a stream."""
    from rnaapp.scan import iter_transcripts

    found: dict[str, str] = {}
    for target_id, sequence in iter_transcripts(path):
        if target_id in names:
            found[target_id] = sequence
    return found


def command_variants(arguments: argparse.Namespace) -> int:
    """``rnaapp variants``: reference and alternative scores of variants on transcripts x miRNAs."""
    from rnaapp.mutagenesis import read_variants, variant_effects
    from rnaapp.scan import read_mirnas_file
    from rnaapp.settings import load_settings, mirna_reference

    for path in (arguments.variants, arguments.targets, arguments.mirnas):
        _check_file(path)
    if arguments.output:
        _check_table_output(arguments.output, "-o")
    variants = read_variants(arguments.variants)
    mirnas = read_mirnas_file(arguments.mirnas, mirna_reference(load_settings().mirbase_path))
    targets = _targets_named(arguments.targets, set(variants["target_id"]))
    options = inference_options(arguments)
    model = _load(arguments.model, options)  # a gene model is refused by score_sequences (one line)
    total = len(mirnas) * (len(variants) + len(set(variants["target_id"])))
    with progress_bar(total, f"scoring with {model.name}", disable=False) as advance:
        effects = variant_effects(
            model,
            mirnas,
            targets,
            variants,
            options,
            prior=arguments.prior,
            progress=advance,
            source=Path(arguments.variants).name,
        )
    changed = int((effects["sites_created"].str.len() + effects["sites_destroyed"].str.len() > 0).sum())
    print(
        f"{len(variants)} variants × {len(mirnas)} miRNAs with {model.name}: {changed} rows make or break a site",
        file=sys.stderr,
    )
    if arguments.output:
        _write_csv(effects, arguments.output)
        print(f"wrote {len(effects)} rows to {arguments.output}", file=sys.stderr)
    else:
        _print_table(effects)
    return 0
