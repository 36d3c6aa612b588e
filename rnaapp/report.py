"""Old name of :mod:`rnaapp.pair_report` (kept for one release): import from ``rnaapp.pair_report``.

The one-pair report lives in rnaapp.pair_report; this is the same module under its old name.
"""

import sys

import rnaapp.pair_report as _module

sys.modules[__name__] = _module
