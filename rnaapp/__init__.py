"""rnaapp: predict and inspect microRNA-target interactions."""

__version__ = "0.1.0"
