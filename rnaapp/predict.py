"""Old name of :mod:`rnaapp.inference.batches` (kept for one release): import from ``rnaapp.inference.batches``.

The inference loop lives in rnaapp.inference; this is rnaapp.inference.batches under its old name.
"""

import sys

import rnaapp.inference.batches as _module

sys.modules[__name__] = _module
