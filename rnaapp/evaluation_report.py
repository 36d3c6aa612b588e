"""Old name of :mod:`rnaapp.comparison` (kept for one release): import from ``rnaapp.comparison``.

The model comparison of a test set lives in rnaapp.comparison; this is the same module under its old name.
"""

import sys

import rnaapp.comparison as _module

sys.modules[__name__] = _module
