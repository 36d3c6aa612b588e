"""The README explains every score and column the app and the library show, and starts with the two commands;
its benchmark numbers come from docs/benchmarks.md, whose sections the bench scripts write."""

from __future__ import annotations

import importlib.util
import re

import pytest

from rnaapp.evaluate import METRIC_NAMES
from rnaapp.mutagenesis import DESIGN_COLUMNS, MUTAGENESIS_COLUMNS, VARIANT_COLUMNS
from rnaapp.rank import RANK_COLUMNS
from rnaapp.report import GENE_SCORE_COLUMNS, SCORE_COLUMNS, SITE_TABLE_COLUMNS
from rnaapp.scan import CANDIDATE_TYPES, PAIR_COLUMNS, SITE_COLUMNS

from .conftest import REPOSITORY

README = (REPOSITORY / "README.md").read_text(encoding="utf-8")
BENCHMARKS = REPOSITORY / "docs" / "benchmarks.md"
#: Section of docs/benchmarks.md -> the bench script that writes it (``--docs``).
SECTIONS = {
    "site": "site.py",
    "speed": "speed.py",
    "scan-accuracy": "scan.py",
    "scan-speed": "scan.py",
    "scan-scale": "scan.py",
    "plant": "plant.py",
    "gene": "gene.py",
    "window-rule": "window_rule.py",
    "scoring": "scoring.py",
    "case-study": "case_study.py",
    "load-test": "load_test.py",
    "mutagenesis": "mutagenesis.py",
}


def bench_docs():
    """bench/doc_sections.py, the writer of docs/benchmarks.md (bench/ is not a package)."""
    spec = importlib.util.spec_from_file_location("bench_docs", REPOSITORY / "bench" / "doc_sections.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
            | set(MUTAGENESIS_COLUMNS)
            | set(VARIANT_COLUMNS)
            | set(DESIGN_COLUMNS)
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


def test_benchmark_doc_has_every_section_written_by_its_script():
    sections = bench_docs().sections(BENCHMARKS.read_text(encoding="utf-8"))
    assert set(sections) == set(SECTIONS)
    for name, script in SECTIONS.items():
        first, _, rest = sections[name].partition("\n")
        assert re.match(rf"\*(To be w|W)ritten by `python bench/{re.escape(script)} ", first), (name, first)
        assert rest.strip(), f"section {name} of docs/benchmarks.md is empty"
        source = (REPOSITORY / "bench" / script).read_text(encoding="utf-8")
        assert re.search(rf'replace_section\(\s*"{name}"', source), (
            f"bench/{script} does not write section {name}"
        )


def test_readme_links_to_the_benchmark_doc_and_its_numbers_come_from_it():
    assert "](docs/benchmarks.md)" in README
    number = re.compile(r"(?<![\d.])\d+\.(\d+)(?![\d.])")
    # every number of docs/benchmarks.md, also rounded to fewer decimals (0.9770 is quoted as 0.977)
    known = {
        f"{float(match[0]):.{places}f}"
        for match in number.finditer(BENCHMARKS.read_text(encoding="utf-8"))
        for places in range(1, len(match[1]) + 1)
    }
    section = README.split("\n## Benchmarks\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")]
    assert rows, "README's Benchmarks section has no headline tables"
    missing = {match[0] for row in rows for match in number.finditer(row) if match[0] not in known}
    assert not missing, f"README benchmark numbers not in docs/benchmarks.md: {sorted(missing)}"


def test_replace_section_rewrites_only_between_the_markers(tmp_path):
    docs = bench_docs()
    path = tmp_path / "benchmarks.md"
    path.write_text(
        "# Title\n\nBy hand.\n\n<!-- begin: one -->\nold\n<!-- end: one -->\n\nAfter.\n"
        "<!-- begin: two -->\nkept\n<!-- end: two -->\n",
        encoding="utf-8",
    )
    docs.replace_section("one", "\n| a |\n|---|\n| 1 |\n\n", "python bench/x.py --docs", path=path)
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        "# Title\n\nBy hand.\n\n<!-- begin: one -->\n*Written by `python bench/x.py --docs`"
    )
    assert docs.sections(text) == {
        "one": docs.header("python bench/x.py --docs") + "\n| a |\n|---|\n| 1 |\n",
        "two": "kept\n",
    }
    assert text.endswith("\n\nAfter.\n<!-- begin: two -->\nkept\n<!-- end: two -->\n")
    with pytest.raises(SystemExit, match="three"):
        docs.replace_section("three", "x", "python bench/x.py", path=path)
