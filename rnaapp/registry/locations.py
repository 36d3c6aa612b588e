"""Where models live: the folder of shipped models and the folder of models trained by the user."""

from __future__ import annotations

import os
from pathlib import Path

from rnaapp.settings import home_directory


def shipped_directory() -> Path:
    """The folder of shipped weights (``RNAAPP_WEIGHTS`` or the repository's ``weights/``)."""
    configured = os.environ.get("RNAAPP_WEIGHTS")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "weights"


def user_directory() -> Path:
    """The folder of models trained by the user (``RNAAPP_HOME``/models, default ``~/.rnaapp/models``)."""
    return home_directory() / "models"
