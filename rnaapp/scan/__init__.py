"""Scan long transcripts: find candidate seed sites, score a model window around each, rank interactions.

A site model reads a 40-nt target window (the window of the miRAW/DeepmiRNATar training data, where the
seed match sits near the window's 3' end). To score a whole 3'UTR or lncRNA, every candidate site of the
miRNA on the transcript is found, the window around it is cut out, all windows are scored in batches
through :func:`rnaapp.inference.predict` (the one inference path), and the best sites are kept:

- candidate sites: every canonical seed match (8mer, 7mer-m8, 7mer-A1, 6mer, offset-6mer; see
  :mod:`rnaapp.sites`) and, unless turned off, every *non-canonical* seed match, where miRNA positions
  2-8 pair with the target except at one of positions 3-7, which is a G:U wobble or a mismatch;
- windows: as long as the model reads (60 nt for the shipped site models), with the seed match where the
  40-nt training windows hold it (``WINDOW_UPSTREAM`` nt 5' of the target nucleotide opposite miRNA
  position 2 and ``WINDOW_DOWNSTREAM`` nt 3' of it, the extra nucleotides added equally on both sides),
  shifted inside the transcript at its ends (:func:`window_bounds`);
- a transcript without any candidate site is read in tiles of the same length every 20 nt
  (:func:`tile_starts`), so that every target gets the model's score and one more nucleotide never makes a
  score jump (the one window rule of :mod:`rnaapp.inference.pairs`);
- transcript-level score of a (miRNA, transcript) pair: the summed-occupancy score of
  :class:`rnaapp.scoring.TranscriptModel` over *every* window read, from each window's log-odds (kept
  as such, never rounded through a sigmoid), its site type, local AU content, position, cooperative
  neighbours and duplex energy, plus the transcript length; the calibrated probability follows from it at
  the chosen prior, and the percentile places it among the miRNA's scores on background 3'UTRs
  (:mod:`rnaapp.scoring.background`). Pairs rank by score, then the best site's type, then its energy.

Plant miRNA-lncRNA models (``family.task == "plant"``) read whole targets of any length, so for them a
scan cuts no windows: each miRNA is scored against each WHOLE transcript with the same
:func:`rnaapp.inference.predict` (pairs batched in buffers), the pair's probability is the model's score,
and its sites are the best plant-style complementary sites (:func:`plant_sites`, psRNATarget-style
expectation from :mod:`rnaapp.complementarity`), reported in the same columns (``site_type`` ``"plant"``,
``expectation``).

Work is streamed: windows (pairs, for plant models) are scored in buffers of ``buffer_size``, so memory
stays bounded whatever the number and length of the transcripts; results of each buffer come out as soon as
it is scored.

Coordinates in every output are 1-based and inclusive, as biologists read them.


The package is split by concern: :mod:`~rnaapp.scan.candidates` (seed matches and windows),
:mod:`~rnaapp.scan.plant` (complementary sites), :mod:`~rnaapp.scan.engine` (the scan),
:mod:`~rnaapp.scan.workers` (process pool and Dask), :mod:`~rnaapp.scan.readers` (inputs),
:mod:`~rnaapp.scan.results` (Parquet output, top interactions) and :mod:`~rnaapp.scan.features` (the site
features of whole pairs, for fitting the scores).
"""

from rnaapp.inference.pairs import transcript_probabilities
from rnaapp.progress import Progress
from rnaapp.scan.candidates import (
    CANDIDATE_TYPES,
    TILE_STEP,
    WINDOW_DOWNSTREAM,
    WINDOW_LENGTH,
    WINDOW_UPSTREAM,
    CandidateSite,
    candidate_sites,
    tile_starts,
    window_bounds,
)
from rnaapp.scan.columns import (
    PAIR_COLUMNS,
    SITE_COLUMNS,
    TARGET_GENE_COLUMNS,
    ScanCancelled,
    ScanResult,
    label_targets,
    target_gene_columns,
)
from rnaapp.scan.engine import model_window_length, rank_pairs, scan, scan_batches
from rnaapp.scan.plant import (
    PLANT_BUFFER_NUCLEOTIDES,
    PLANT_BUFFER_PAIRS,
    PLANT_EXPECTATION_CUTOFF,
    PLANT_SITE_FLANK,
    PLANT_SITE_TYPE,
    PLANT_STRICT_EXPECTATION,
    PlantSites,
    plant_pairing,
    plant_sites,
    plant_window,
    scores_whole_targets,
)
from rnaapp.scan.readers import (
    count_transcripts,
    filter_pairs,
    iter_transcripts,
    read_mirna_list,
    read_mirnas_file,
    read_transcript_records,
    read_transcripts,
    transcript_headers,
)
from rnaapp.scan.results import PAIR_SCHEMA, SITE_SCHEMA, read_scan, top_interactions, write_scan
from rnaapp.scan.workers import default_scan_workers

__all__ = [
    "CANDIDATE_TYPES",
    "PAIR_COLUMNS",
    "PAIR_SCHEMA",
    "PLANT_BUFFER_NUCLEOTIDES",
    "PLANT_BUFFER_PAIRS",
    "PLANT_EXPECTATION_CUTOFF",
    "PLANT_SITE_FLANK",
    "PLANT_SITE_TYPE",
    "PLANT_STRICT_EXPECTATION",
    "SITE_COLUMNS",
    "SITE_SCHEMA",
    "TARGET_GENE_COLUMNS",
    "TILE_STEP",
    "WINDOW_DOWNSTREAM",
    "WINDOW_LENGTH",
    "WINDOW_UPSTREAM",
    "CandidateSite",
    "PlantSites",
    "Progress",
    "ScanCancelled",
    "ScanResult",
    "candidate_sites",
    "count_transcripts",
    "default_scan_workers",
    "filter_pairs",
    "iter_transcripts",
    "label_targets",
    "model_window_length",
    "plant_pairing",
    "plant_sites",
    "plant_window",
    "rank_pairs",
    "read_mirna_list",
    "read_mirnas_file",
    "read_scan",
    "read_transcript_records",
    "read_transcripts",
    "scan",
    "scan_batches",
    "scores_whole_targets",
    "target_gene_columns",
    "tile_starts",
    "top_interactions",
    "transcript_headers",
    "transcript_probabilities",
    "window_bounds",
    "write_scan",
]
