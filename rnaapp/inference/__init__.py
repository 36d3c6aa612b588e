"""The one inference layer: how every score in rnaapp is computed.

- :class:`InferenceOptions`: device, batch size, precision, threads and worker processes, built from the
  user's settings (:meth:`InferenceOptions.from_settings`) or command-line flags
  (:meth:`InferenceOptions.from_flags`); every entry point takes one.
- :func:`predict`: the batched loop over featurised pairs (sequences in, probabilities out).
- :func:`score_pairs`: a table of pairs scored by any model (site windows, whole targets, gene names),
  by the one window rule of :mod:`rnaapp.inference.pairs`.
- :func:`scoring_time_note`: how long a slow model will take, said before it starts.
- :func:`scan_workers`: the one rule for when a scan uses worker processes.
"""

from rnaapp.inference.batches import (
    CHUNK_SIZE,
    batch_logits,
    check_target_lengths,
    checked_sequences,
    default_workers,
    options_with,
    pair_names,
    predict,
    predict_pairs,
)
from rnaapp.inference.options import (
    DEVICE_PATTERN,
    DEVICES_HELP,
    PARALLEL_SCAN_WORK,
    PRECISIONS,
    InferenceOptions,
    available_cores,
    check_device_name,
    describe_device,
    resolve_device,
    scan_workers,
)
from rnaapp.inference.pairs import (
    OUTPUT_COLUMNS,
    SCORE_COLUMNS,
    TIME_NOTE_SECONDS,
    reads_whole,
    score_pairs,
    scored_table,
    scoring_seconds,
    scoring_time_note,
    transcript_probabilities,
)
from rnaapp.progress import Progress

__all__ = [
    "CHUNK_SIZE",
    "DEVICE_PATTERN",
    "DEVICES_HELP",
    "PARALLEL_SCAN_WORK",
    "PRECISIONS",
    "OUTPUT_COLUMNS",
    "SCORE_COLUMNS",
    "TIME_NOTE_SECONDS",
    "InferenceOptions",
    "Progress",
    "available_cores",
    "batch_logits",
    "check_device_name",
    "check_target_lengths",
    "checked_sequences",
    "default_workers",
    "describe_device",
    "options_with",
    "pair_names",
    "predict",
    "predict_pairs",
    "reads_whole",
    "resolve_device",
    "scan_workers",
    "score_pairs",
    "scored_table",
    "scoring_seconds",
    "scoring_time_note",
    "transcript_probabilities",
]
