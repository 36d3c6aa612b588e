"""Where models live: the folder of shipped models and the folder of models trained by the user.

The shipped models are found, in this order:

1. the folder that the environment variable ``RNAAPP_WEIGHTS`` names;
2. the ``weights/`` folder of a source checkout (development: ``rnaapp/`` beside ``pyproject.toml`` and
   ``weights/``, as after ``git clone`` or an editable install);
3. the copy installed with the package (``rnaapp/_shipped/weights``, put there when the wheel is built;
   see ``setup.py``).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from rnaapp.settings import home_directory

#: Environment variable naming a folder of shipped weights to use instead of the bundled ones.
WEIGHTS_ENVIRONMENT_VARIABLE = "RNAAPP_WEIGHTS"

#: Folder of the package data that a built wheel carries (weights and the app), inside ``rnaapp/``.
SHIPPED_PACKAGE_FOLDER = "_shipped"


def checkout_weights_directory() -> Path | None:
    """The ``weights/`` folder of the source checkout this package is imported from, or ``None``.

    A checkout is recognised by ``pyproject.toml`` and ``weights/`` beside the ``rnaapp`` package; an
    installed package (in ``site-packages``) has neither beside it.
    """
    root = Path(__file__).resolve().parents[2]
    weights = root / "weights"
    return weights if (root / "pyproject.toml").is_file() and weights.is_dir() else None


def installed_weights_directory() -> Path:
    """The weights installed as package data (``rnaapp/_shipped/weights``); may not exist."""
    # Wheels are installed as plain files, so the resource is a real folder.
    return Path(str(resources.files("rnaapp") / SHIPPED_PACKAGE_FOLDER / "weights"))


def shipped_directory() -> Path:
    """The folder of shipped weights: ``RNAAPP_WEIGHTS``, else the checkout's ``weights/``, else the installed copy.

    Returns
    -------
    pathlib.Path
        The folder (it may not exist, e.g. ``RNAAPP_WEIGHTS`` naming a missing folder; then no shipped
        models are listed).
    """
    configured = os.environ.get(WEIGHTS_ENVIRONMENT_VARIABLE)
    if configured:
        return Path(configured)
    return checkout_weights_directory() or installed_weights_directory()


def user_directory() -> Path:
    """The folder of models trained by the user (``RNAAPP_HOME``/models, default ``~/.rnaapp/models``)."""
    return home_directory() / "models"
