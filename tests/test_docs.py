"""The README explains every score and column the app and the library show, and starts with the two commands."""

from __future__ import annotations

import pytest

from rnaapp.evaluate import METRIC_NAMES
from rnaapp.rank import RANK_COLUMNS
from rnaapp.report import GENE_SCORE_COLUMNS, SCORE_COLUMNS, SITE_TABLE_COLUMNS
from rnaapp.scan import CANDIDATE_TYPES, PAIR_COLUMNS, SITE_COLUMNS

from .conftest import REPOSITORY

README = (REPOSITORY / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    first_block = README.split("```bash", 1)[1].split("```", 1)[0].strip().splitlines()
    assert [line.split()[0:2] for line in first_block] == [["make", "app"], ["make", "test"]]


@pytest.mark.parametrize(
    "column",
    sorted(
        (
            set(PAIR_COLUMNS)
            | set(SITE_COLUMNS)
            | set(SCORE_COLUMNS)
            | set(SITE_TABLE_COLUMNS)
            | set(GENE_SCORE_COLUMNS)
            | set(RANK_COLUMNS)
        )
        - {"mirna_id", "target_id", "model", "family", "scanned"}
    ),
)
def test_readme_explains_every_column(column):
    assert f"`{column}`" in README, f"README.md does not explain the column {column}"


@pytest.mark.parametrize("name", [*METRIC_NAMES, *CANDIDATE_TYPES])
def test_readme_explains_every_metric_and_site_type(name):
    assert f"`{name}`" in README


def test_ci_runs_the_readme_test_command():
    assert "make test" in (REPOSITORY / ".ci" / "run").read_text(encoding="utf-8")
