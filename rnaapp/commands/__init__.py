"""The subcommands of ``rnaapp`` (:mod:`rnaapp.cli` builds the parser and dispatches to them)."""
