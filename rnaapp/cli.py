"""The ``rnaapp`` command line.

Contract (other tools call it, so it stays stable)::

    rnaapp predict FILE [--model NAME] -o OUT.csv   # every input column plus `probability`
    rnaapp predict --mirna SEQ --target SEQ         # the same, printed as a table
    rnaapp scan --mirnas FILE --targets FILE [--model NAME] [--top N] -o OUT.parquet
                                                    # OUT.parquet, OUT.sites.parquet, OUT.top.csv
                                                    # (-o OUT.bed / OUT.gff3: sites as BED6 / GFF3;
                                                    #  --intarna FILE.csv: IntaRNA-like hybrids)
    rnaapp evaluate FILE [--model NAME ...] [--json] [--plot CURVES.png] [--by COLUMN]
    rnaapp train --family F --data FILE [--valid FILE] [--config FILE] --name NAME [--filter-negatives Q]
    rnaapp rank KNOWN_PAIRS [--model NAME | --family F] [--utrs FASTA] [--top N] [-o OUT.csv]
                                                    # the most likely unknown miRNA-gene pairs
    rnaapp mutate --mirna M --target T [--molecule target|mirna|both] [--design] -o OUT.csv
                                                    # every single-nucleotide substitution, scored
    rnaapp variants --variants V.csv|V.vcf --targets FASTA --mirnas FILE -o OUT.csv
                                                    # reference vs alternative scores, sites made/broken
    rnaapp models [--json]
    rnaapp app [--port N] [--address ADDRESS] [-- STREAMLIT_OPTIONS]
                                                    # the app in the browser, on this computer only

``--model`` takes a model name, a family name (its default model) or a task (``site``, ``plant``, ``gene``);
without it, ``site``. Errors print one line to stderr and exit with status 2 (bad input) or 1 (other).

Gene models (``--model gene``; families ``grmmi``, ``aemigap``) read rows that name the miRNA and the gene
without target sequence (miRNA sequences are filled by name from the configured miRBase file) in
``predict``, ``evaluate``, ``train`` and ``rank``.

Targets longer than the model's window (whole 3'UTRs, lncRNAs) are scanned by ``predict`` and
``evaluate``: ``probability`` is then the transcript-level probability (best candidate site), and
``predict`` adds the columns ``scanned``, ``best_site_start`` and ``best_site_type``. Plant miRNA-lncRNA
models (``--model plant``) read every target whole: nothing is scanned, and ``scan`` scores each miRNA
against each whole transcript and reports its best complementary sites.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rnaapp.commands.common import (  # noqa: F401 - the helpers' old import path
    CommandError,
    _check_file,
    _check_output,
    _count,
    _is_gene,
    _json_ready,
    _load,
    _positive_int,
    _prior,
    _probability,
    _quantile,
    _read,
    _whole_number,
    _write_csv,
)
from rnaapp.commands.listing import command_models
from rnaapp.commands.mutating import command_mutate, command_variants
from rnaapp.commands.ranking import command_rank
from rnaapp.commands.scanning import command_scan
from rnaapp.commands.scoring import command_evaluate, command_predict
from rnaapp.commands.training import command_train


def _add_inference_flags(command: argparse.ArgumentParser) -> None:
    """The flags of :class:`~rnaapp.inference.InferenceOptions`, the same on every command that scores."""
    group = command.add_argument_group("how models run")
    group.add_argument(
        "--device", default="auto", help="auto (a GPU when there is one), cpu, cuda, cuda:N or mps"
    )
    group.add_argument(
        "--batch-size", type=_positive_int, metavar="N", help="pairs (windows) per forward pass (default 512)"
    )
    group.add_argument(
        "--precision",
        choices=["float32", "bfloat16"],
        help="float32 (default; the same scores everywhere) or bfloat16 (faster on CPUs/GPUs that support "
        "it; scores move by a few hundredths at most)",
    )
    group.add_argument(
        "--threads",
        type=_positive_int,
        metavar="N",
        help="CPU threads scoring batches at once (default: one per core, at most 8)",
    )
    group.add_argument(
        "--prior",
        type=_prior,
        metavar="P",
        help="share of true interactions you expect among the pairs scored, for the calibrated "
        "probability (default: 0.5, the balance the scores were calibrated at; a genome-wide scan is "
        "nearer 0.01). The score and the ranking do not depend on it",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``rnaapp`` argument parser: every subcommand with its options and handler."""
    from rnaapp import __version__

    parser = argparse.ArgumentParser(
        prog="rnaapp", description="Predict and inspect miRNA-target interactions."
    )
    parser.add_argument("--version", action="version", version=f"rnaapp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    predict = commands.add_parser("predict", help="score miRNA-target pairs")
    predict.add_argument("file", nargs="?", help="pairs (CSV/TSV/FASTA-like formats rnaapp reads)")
    predict.add_argument("--mirna", help="miRNA sequence 5'->3'")
    predict.add_argument("--target", help="target sequence 5'->3'")
    predict.add_argument("--model", help="model name, family or task (default: site)")
    predict.add_argument("-o", "--output", help="write the scored pairs to this CSV (TSV for .tsv or .txt)")
    _add_inference_flags(predict)
    predict.set_defaults(handler=command_predict)

    scan_command = commands.add_parser(
        "scan",
        help="scan miRNAs against long transcripts (3'UTRs, lncRNAs) and rank the interactions",
        description=(
            "Score every candidate seed site of every miRNA on every transcript and rank the "
            "(miRNA, transcript) pairs by transcript-level probability (the best site's); a plant "
            "miRNA-lncRNA model (--model plant) scores each whole transcript instead and reports its best "
            "complementary sites (psRNATarget-style expectation). Writes "
            "OUT.parquet (one row per pair, in input order; query it with pandas or DuckDB), "
            "OUT.sites.parquet (the best sites of each pair) and OUT.top.csv (top N overall, per miRNA "
            "and per transcript, told apart by the `ranking` column), and prints the overall top N."
        ),
    )
    scan_command.add_argument(
        "--mirnas",
        required=True,
        metavar="FILE",
        help="miRNAs: FASTA, one miRBase name or sequence per line, or a table with a name or sequence "
        "column; names resolve through the miRBase file set in Settings (RNAAPP_MIRBASE)",
    )
    scan_command.add_argument(
        "--targets",
        required=True,
        metavar="FILE",
        help="transcripts: FASTA (gzip accepted; streamed, any size) or a CSV/TSV table with id and "
        "sequence columns (e.g. target_id,target_seq)",
    )
    scan_command.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="OUT.parquet (default format; also writes OUT.sites.parquet and OUT.top.csv). With .csv or "
        ".tsv: ranked pairs and OUT.sites.csv instead; with .bed or .gff3: the sites as BED6 or GFF3 "
        "(genomic coordinates for targets named chrom:start-end:strand) and the pairs in OUT.pairs.csv. "
        "All but .parquet are built in memory, so only for small scans",
    )
    scan_command.add_argument(
        "--intarna",
        metavar="FILE.csv",
        help="also write an IntaRNA-like CSV of the sites (;-separated: id1,start1,end1,id2,start2,end2,"
        "subseqDP,hybridDP,E: both sequences' positions, the hybrid in dot-bracket, its ViennaRNA energy)",
    )
    scan_command.add_argument(
        "--transcript-coordinates",
        action="store_true",
        help="in .bed/.gff3 output, keep transcript coordinates even for targets named as genomic regions",
    )
    scan_command.add_argument(
        "--model",
        help="model name, family or task (default: the model chosen for scanning in defaults.json, "
        "else the site task's default)",
    )
    scan_command.add_argument(
        "--top",
        type=_count,
        default=10,
        metavar="N",
        help="write the top N pairs overall, per miRNA and per transcript to OUT.top.csv and print the "
        "overall top N (default 10; 0: none)",
    )
    scan_command.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="processes scanning in parallel (default: all cores for scans of at least 20 million miRNA x nt, "
        "else this process: rnaapp.inference.scan_workers); 1: this process only",
    )
    scan_command.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="scan on a Dask cluster instead, e.g. tcp://host:8786 (needs dask[distributed])",
    )
    scan_command.add_argument(
        "--no-noncanonical",
        action="store_true",
        help="score canonical seed sites only (not seeds with one G:U wobble or mismatch); plant models "
        "look for no seed sites",
    )
    scan_command.add_argument(
        "--sites-per-pair",
        type=_positive_int,
        default=3,
        metavar="K",
        help="best sites kept per (miRNA, transcript) pair in the site file (default 3; plant models: "
        "complementary sites of lowest expectation)",
    )
    scan_command.add_argument(
        "--no-energies",
        action="store_true",
        help="skip the ViennaRNA duplex energy of the reported sites (faster)",
    )
    _add_inference_flags(scan_command)
    scan_command.set_defaults(handler=command_scan)

    mutate = commands.add_parser(
        "mutate",
        help="score every single-nucleotide substitution of one pair (in-silico mutagenesis)",
        description=(
            "Replace each base of the target (or of the miRNA) by each other base and score every mutant "
            "through the same inference path as predict: one row per substitution with position (1-based on "
            "the mutated sequence), ref, alt, score, probability, delta (mutant minus reference score), the "
            "mutant's best site type, the sites it makes or breaks and their duplex energy change. A target "
            "longer than the model's window is mutated in the 40 nt around its best site unless --start and "
            "--end say otherwise. --design also lists the fewest substitutions (1-3) that abolish the "
            "interaction, as a seed-mutant reporter control."
        ),
    )
    mutate.add_argument("--mirna", required=True, help="miRNA sequence 5'->3', or its miRBase name")
    mutate.add_argument("--target", required=True, help="target sequence 5'->3'")
    mutate.add_argument("--model", help="model name, family or task (default: site)")
    mutate.add_argument(
        "--molecule",
        choices=["target", "mirna", "both"],
        default="target",
        help="which sequence to mutate (default target)",
    )
    mutate.add_argument("--start", type=_positive_int, help="first target position to mutate (1-based)")
    mutate.add_argument(
        "--end", type=_positive_int, help="last target position to mutate (1-based, inclusive)"
    )
    mutate.add_argument(
        "--design",
        action="store_true",
        help="also design seed mutants (written to OUT.designs.csv with -o): no canonical site of the miRNA "
        "left, no site of the built-in miRNAs changed, probability below 0.5",
    )
    mutate.add_argument(
        "--other-mirnas",
        metavar="FILE",
        help="with --design: miRNAs whose canonical sites a design must not make or break (FASTA, names or "
        "sequences; default: the built-in human miRNAs)",
    )
    mutate.add_argument(
        "--max-substitutions",
        type=_positive_int,
        default=3,
        metavar="K",
        help="with --design: most substitutions per design, 1-3 (default 3)",
    )
    mutate.add_argument(
        "-o", "--output", help="write the substitutions to this table (.csv, .tsv, .xlsx, .parquet)"
    )
    _add_inference_flags(mutate)
    mutate.set_defaults(handler=command_mutate)

    variants = commands.add_parser(
        "variants",
        help="score variants on transcripts (3'UTR SNPs, small indels) against miRNAs",
        description=(
            "For each variant (a table target_id,position,ref,alt with optional variant_id, or a VCF whose "
            "CHROM is the transcript id and POS the 1-based position on it) and each miRNA: the score on the "
            "reference and on the variant transcript, their difference, and the sites created or destroyed. "
            "ref must match the transcript (the row is named when it does not)."
        ),
    )
    variants.add_argument("--variants", required=True, metavar="FILE", help="variant table (CSV/TSV) or VCF")
    variants.add_argument(
        "--targets", required=True, metavar="FILE", help="transcripts: FASTA (gzip accepted) or a table"
    )
    variants.add_argument(
        "--mirnas", required=True, metavar="FILE", help="miRNAs: FASTA, names or sequences (as for scan)"
    )
    variants.add_argument("--model", help="model name, family or task (default: site)")
    variants.add_argument(
        "-o", "--output", help="write the effects to this table (.csv, .tsv, .xlsx, .parquet)"
    )
    _add_inference_flags(variants)
    variants.set_defaults(handler=command_variants)

    evaluate = commands.add_parser("evaluate", help="measure models on a labelled file")
    evaluate.add_argument("file")
    evaluate.add_argument("--model", action="append", help="model name, family or task; repeat to compare")
    evaluate.add_argument(
        "--threshold",
        type=_probability,
        default=0.5,
        help="a pair is called positive at this probability or above (0 to 1; default 0.5)",
    )
    evaluate.add_argument("--by", help="also break the metrics down by this column (e.g. species, mirna_id)")
    evaluate.add_argument("--json", action="store_true", help="print JSON")
    evaluate.add_argument("--curves", action="store_true", help="include ROC/PR points in the JSON")
    evaluate.add_argument("--plot", help="write ROC and PR curves to this image (png, pdf, svg)")
    _add_inference_flags(evaluate)
    evaluate.set_defaults(handler=command_evaluate)

    train = commands.add_parser("train", help="train a model and save it with its card")
    train.add_argument("--family", required=True)
    train.add_argument("--data", required=True, help="labelled training pairs")
    train.add_argument("--valid", help="labelled validation pairs for early stopping")
    train.add_argument("--config", help='JSON file {"model": {...}, "training": {...}}')
    train.add_argument("--name", required=True)
    train.add_argument("--epochs", type=_positive_int)
    train.add_argument("--batch-size", type=_positive_int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--seed", type=int)
    train.add_argument("--device", help="auto, cpu or cuda")
    train.add_argument(
        "--balance",
        choices=["none", "mirna"],
        help="mirna: each miRNA's positive and negative pairs weigh the same in the loss, so a pool that "
        "holds a miRNA mostly as a negative does not teach the model that miRNA's name",
    )
    train.add_argument(
        "--cv", type=_whole_number(2), metavar="K", help="run K-fold cross-validation instead (nothing saved)"
    )
    train.add_argument("--output", help="model folder (default: the user model folder)")
    train.add_argument(
        "--set-default", action="store_true", help="make it the default of its family and task"
    )
    train.add_argument(
        "--filter-negatives",
        type=_quantile,
        metavar="QUANTILE",
        help="before training, drop negatives whose miRNA and gene lie as close in the GraRep embedding of "
        "the training positives as this quantile of the positives (AEmiGAP's negative-label adjustment; "
        "needs miRNA and gene names; e.g. 0.05)",
    )
    train.set_defaults(handler=command_train)

    rank = commands.add_parser(
        "rank",
        help="rank the unknown miRNA-gene pairs of a set of known interactions",
        description=(
            "Score every miRNA x gene pair of KNOWN_PAIRS that is not a known interaction (label 1, or "
            "every row without a label column) and print the TOP most likely, with node degrees, "
            "graph-neighbourhood support and the best seed site where sequences are given. With --model, a "
            "trained model scores them; otherwise a model of --family (default grmmi) is first trained on "
            "KNOWN_PAIRS, which then needs labels (1 = known interaction, 0 = negative). Rows may give "
            "names only (miRNA name, gene name): miRNA sequences are looked up by name in the miRBase file "
            "set in Settings (RNAAPP_MIRBASE)."
        ),
    )
    rank.add_argument(
        "known_pairs", metavar="KNOWN_PAIRS", help="known pairs: CSV/TSV with mirna_id, target_id (and label)"
    )
    rank.add_argument("--model", help="rank with this trained model (name, family or task, e.g. gene)")
    rank.add_argument("--family", help="train a model of this family on KNOWN_PAIRS first (default grmmi)")
    rank.add_argument("--top", type=_positive_int, default=20, metavar="N", help="pairs to list (default 20)")
    rank.add_argument(
        "--utrs",
        metavar="FASTA",
        help="3'UTRs of the genes (headers name them; the longest isoform is used) for pairs without a target "
        "sequence; with a model that reads whole 3'UTRs (gene-utr) their seed sites count",
    )
    rank.add_argument("-o", "--output", help="write the ranking to this CSV (TSV for .tsv or .txt)")
    rank.add_argument("--config", help='with --family: JSON file {"model": {...}, "training": {...}}')
    rank.add_argument("--epochs", type=_positive_int, help="with --family: training epochs")
    rank.add_argument("--seed", type=int, help="with --family: training seed")
    rank.add_argument("--save", metavar="NAME", help="with --family: save the trained model under this name")
    _add_inference_flags(rank)
    rank.set_defaults(handler=command_rank)

    models = commands.add_parser("models", help="list installed models")
    models.add_argument("--json", action="store_true")
    models.set_defaults(handler=command_models)

    app = commands.add_parser("app", help="start the app (open the address it prints in a browser)")
    app.add_argument("--port", type=_positive_int, help="port to listen on (default: Streamlit's, 8501)")
    app.add_argument(
        "--address",
        default="localhost",
        help="address to listen on (default localhost: this computer only); 0.0.0.0 shares the app on your network",
    )
    app.add_argument(
        "streamlit_args",
        nargs=argparse.REMAINDER,
        metavar="-- STREAMLIT_OPTIONS",
        help="more options for streamlit run, after --, e.g. -- --theme.base=dark",
    )
    app.set_defaults(handler=command_app)
    return parser


def command_app(arguments: argparse.Namespace) -> int:
    """``rnaapp app``: run the app until it is stopped (see :mod:`rnaapp.launch`)."""
    from rnaapp.launch import app_command, run_app

    extra = arguments.streamlit_args
    return run_app(app_command(port=arguments.port, address=arguments.address, extra=extra))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    arguments = parser.parse_args(argv)
    arguments.argv = argv
    from rnaapp.io import InputError

    try:
        return arguments.handler(arguments)
    except InputError as error:
        print(f"rnaapp: error: {error}", file=sys.stderr)
        return 2
    except CommandError as error:
        print(f"rnaapp: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rnaapp: interrupted", file=sys.stderr)
        return 130
    except (OSError, ValueError, RuntimeError) as error:
        print(f"rnaapp: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
