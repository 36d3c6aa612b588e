"""Graded, calibrated scores: site calibration, the transcript score, calibration measures.

See :mod:`rnaapp.scoring.transcript` for what the scores mean, :mod:`rnaapp.scoring.features` for the site
context they weigh, and :mod:`rnaapp.scoring.fit` for how they are fitted.
"""

from rnaapp.scoring.calibration import CALIBRATION_BINS, expected_calibration_error, reliability_table
from rnaapp.scoring.features import SITE_FEATURES, SiteContext, length_feature, local_au, site_features
from rnaapp.scoring.fit import fit_site_calibration, fit_transcript_model
from rnaapp.scoring.transcript import (
    BALANCED_PRIOR,
    PairScore,
    Scoring,
    SiteCalibration,
    TranscriptModel,
    logit,
    model_scoring,
    prior_shift,
    sigmoid,
)

__all__ = [
    "BALANCED_PRIOR",
    "CALIBRATION_BINS",
    "PairScore",
    "SITE_FEATURES",
    "Scoring",
    "SiteCalibration",
    "SiteContext",
    "TranscriptModel",
    "expected_calibration_error",
    "fit_site_calibration",
    "fit_transcript_model",
    "length_feature",
    "local_au",
    "logit",
    "model_scoring",
    "prior_shift",
    "reliability_table",
    "sigmoid",
    "site_features",
]
