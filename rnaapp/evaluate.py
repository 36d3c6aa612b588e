"""Old name of :mod:`rnaapp.metrics` (kept for one release): import from ``rnaapp.metrics``.

The metrics live in rnaapp.metrics; this module is the same module object under its old name.
"""

import sys

import rnaapp.metrics as _module

sys.modules[__name__] = _module
