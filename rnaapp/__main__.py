"""``python -m rnaapp`` runs the command line."""

import sys

from rnaapp.cli import main

sys.exit(main())
