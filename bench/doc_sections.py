"""Write benchmark output into ``docs/benchmarks.md``, one marked section per measuring command.

A section is the text between ``<!-- begin: NAME -->`` and ``<!-- end: NAME -->``. The bench scripts that
print tables take ``--docs``: they print as before and also replace their section with what they printed,
headed by the command that wrote it, so every number in that file comes from a bench script. Text outside
the markers (protocol, what could leak, what the numbers say) is written by hand and never touched here.

    python bench/plant.py report --docs     # section "plant"
    python bench/gene.py report --docs      # section "gene"
    python bench/site.py --docs             # section "site"
    python bench/speed.py --docs            # section "speed"
    python bench/scan.py --docs             # sections "scan-accuracy", "scan-speed", "scan-scale"
    python bench/window_rule.py --docs      # section "window-rule"
    python bench/mutagenesis.py --docs      # section "mutagenesis"
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
DOCS = REPOSITORY / "docs" / "benchmarks.md"
#: A section: its markers alone on their lines.
SECTION = re.compile(
    r"^<!-- begin: (?P<name>[\w.-]+) -->\n(?P<body>.*?)^<!-- end: (?P=name) -->$", re.DOTALL | re.MULTILINE
)


def begin(name: str) -> str:
    return f"<!-- begin: {name} -->"


def end(name: str) -> str:
    return f"<!-- end: {name} -->"


def sections(text: str) -> dict[str, str]:
    """Section name -> the text between its markers."""
    return {match["name"]: match["body"] for match in SECTION.finditer(text)}


def header(command: str) -> str:
    """The first line of every written section: the command that wrote it."""
    return f"*Written by `{command}`; its next run rewrites this section.*\n"


def this_command() -> str:
    """The command line of the running script, as a user would type it from the repository root."""
    script = Path(sys.argv[0]).resolve()
    with contextlib.suppress(ValueError):
        script = script.relative_to(REPOSITORY)
    return shlex.join(["python", str(script), *sys.argv[1:]])


def fenced(text: str) -> str:
    """Plain-text output (fixed-width tables) as a Markdown code block."""
    return f"```text\n{text.strip(chr(10))}\n```"


def replace_section(name: str, content: str, command: str | None = None, path: Path = DOCS) -> None:
    """Replace the body of section ``name`` in ``path`` with ``header(command)`` and ``content``.

    The section must exist (add its two markers by hand where it belongs); nothing else in the file
    changes. The file is replaced atomically."""
    text = path.read_text(encoding="utf-8")
    found = [match for match in SECTION.finditer(text) if match["name"] == name]
    if len(found) != 1:
        raise SystemExit(
            f"{path}: expected one section {begin(name)} ... {end(name)}, found {len(found)}; add its markers"
        )
    body = header(command or this_command()) + "\n" + content.strip("\n") + "\n"
    match = found[0]
    updated = text[: match.start("body")] + body + text[match.end("body") :]
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(updated, encoding="utf-8")
    temporary.replace(path)
    shown = path.relative_to(REPOSITORY) if path.is_relative_to(REPOSITORY) else path
    print(f"wrote section {name!r} of {shown}", file=sys.stderr)


def add_option(parser: argparse.ArgumentParser, *names: str) -> None:
    """``--docs``: also write the printed tables into their sections of docs/benchmarks.md."""
    parser.add_argument(
        "--docs",
        action="store_true",
        help=f"also write the output into docs/benchmarks.md (section {', '.join(names)})",
    )


class _Tee(io.TextIOBase):
    def __init__(self, stream) -> None:
        self.stream, self.buffer = stream, io.StringIO()

    def write(self, text: str) -> int:
        self.stream.write(text)
        return self.buffer.write(text)

    def flush(self) -> None:
        self.stream.flush()


@contextlib.contextmanager
def captured() -> Iterator[io.StringIO]:
    """Print as usual and keep a copy of everything printed to stdout (``.getvalue()`` of the result)."""
    tee = _Tee(sys.stdout)
    with contextlib.redirect_stdout(tee):
        yield tee.buffer
