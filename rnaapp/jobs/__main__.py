"""``python -m rnaapp.jobs JOB_FOLDER``: run a training job in this process.

This is what a training's background process runs (see :func:`rnaapp.jobs.training.main`).
"""

import sys

from rnaapp.jobs.training import main

if __name__ == "__main__":
    sys.exit(main())
