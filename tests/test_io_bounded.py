"""Bounded reads (rnaapp.io.bounded): devices, pipes, size caps, gzip bombs and the folders a server reads."""

from __future__ import annotations

import gzip
import io
import os
import threading
import time
from pathlib import Path

import pytest

from rnaapp.io import InputError, read_fasta, read_mirbase, read_pairs
from rnaapp.io.bounded import (
    READABLE_FOLDERS_VARIABLE,
    allowed_server_path,
    gunzip_capped,
    is_local_address,
    read_regular_file,
    read_server_file,
    readable_folders,
)
from rnaapp.io.files import _open_sequence_file

PAIRS = b"mirna_seq,target_seq,label\nUGAGGUAGUAGGUUGUAUAGUU,GCAUCGAUCGAAACUAUACAACCUACUACCUCAAAGCAUC,1\n"


def test_dev_zero_is_refused_at_once():
    started = time.perf_counter()
    with pytest.raises(InputError, match="device, pipe or socket, not a regular file"):
        read_pairs("/dev/zero")
    assert time.perf_counter() - started < 2.0


def test_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pairs.csv"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            read_pairs(fifo)
        except BaseException as error:  # noqa: BLE001 - the test inspects whatever was raised
            outcome.append(error)
        else:
            outcome.append(None)

    worker = threading.Thread(target=read, daemon=True)
    worker.start()
    worker.join(timeout=5.0)
    assert not worker.is_alive(), "reading a named pipe blocked"
    assert isinstance(outcome[0], InputError) and "not a regular file" in str(outcome[0])
    with pytest.raises(InputError, match="not a regular file"):
        _open_sequence_file(fifo, "pairs.csv")


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(InputError, match="is a folder, not a regular file"):
        read_mirbase(tmp_path)


def test_size_cap_is_checked_before_reading(tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_bytes(PAIRS)
    assert read_regular_file(path, source="pairs.csv") == PAIRS
    with pytest.raises(
        InputError, match=r"pairs\.csv: the file is 93 bytes; rnaapp reads files of up to 90 bytes"
    ):
        read_regular_file(path, source="pairs.csv", max_bytes=90)


def test_gzip_bomb_is_stopped_at_the_cap():
    bomb = gzip.compress(b"A" * (8 * 1024 * 1024))  # 8 MB of text in ~8 kB
    assert len(bomb) < 100_000
    with pytest.raises(InputError, match="decompresses to more than 1.0 MB"):
        gunzip_capped(bomb, source="bomb.csv.gz", max_bytes=1024 * 1024)
    assert gunzip_capped(bomb, source="bomb.csv.gz") == b"A" * (8 * 1024 * 1024)


def test_concatenated_gzip_members_read_as_one_file():
    data = gzip.compress(PAIRS[:30]) + gzip.compress(PAIRS[30:])
    assert gunzip_capped(data, source="x.gz") == PAIRS
    assert len(read_pairs(data, name="pairs.csv.gz")) == 1


def test_damaged_gzip_is_named():
    with pytest.raises(InputError, match="the gzip file is damaged"):
        gunzip_capped(gzip.compress(PAIRS)[:-12], source="x.gz")


def test_streamed_gzip_is_capped(tmp_path, monkeypatch):
    import rnaapp.io.bounded as bounded

    path = tmp_path / "utrs.fa.gz"
    path.write_bytes(gzip.compress(b">a\n" + b"ACGU" * 200_000 + b"\n"))
    assert len(read_fasta(path)) == 1  # far below the real cap
    monkeypatch.setitem(bounded.CappedStream.__init__.__kwdefaults__, "max_bytes", 100_000)
    with pytest.raises(InputError, match=r"utrs\.fa\.gz: the file decompresses to more than 97\.7 kB"):
        stream, _ = _open_sequence_file(path, "utrs.fa.gz")
        with stream:
            while stream.read(65536):
                pass


@pytest.mark.parametrize(
    ("address", "local"),
    [
        ("localhost", True),
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("[::1]", True),
        ("", False),
        (None, False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("my-laptop.example.org", False),
    ],
)
def test_is_local_address(address, local):
    assert is_local_address(address) is local


def test_readable_folders_are_home_working_folder_and_the_listed_ones(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    extra = tmp_path / "more"
    extra.mkdir()
    monkeypatch.setenv(READABLE_FOLDERS_VARIABLE, f"{extra}{os.pathsep}{extra}")
    folders = readable_folders()
    assert folders[0] == Path(os.path.realpath(Path.home()))
    assert Path(os.path.realpath(tmp_path)) in folders and Path(os.path.realpath(extra)) in folders
    assert len(folders) == len(set(folders))
    monkeypatch.chdir("/")
    assert Path("/") not in readable_folders()  # a server started in / does not open the whole disk


def test_server_paths_outside_the_folders_get_one_message_whether_or_not_they_exist(tmp_path):
    inside = tmp_path / "inside"
    inside.mkdir()
    (inside / "pairs.csv").write_bytes(PAIRS)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.csv").write_bytes(PAIRS)
    assert read_server_file(inside / "pairs.csv", folders=[inside]) == PAIRS

    def message(path: Path) -> str:
        with pytest.raises(InputError) as raised:
            read_server_file(path, folders=[inside])
        return raised.value.problem

    existing, missing = message(outside / "secret.csv"), message(outside / "missing.csv")
    assert existing == missing and "only inside these folders" in existing
    assert message(Path("/etc/passwd")) == existing
    assert message(Path("/dev/zero")) == existing
    # ".." and links do not lead out of the folders
    assert message(inside / ".." / "outside" / "secret.csv") == existing
    (inside / "link.csv").symlink_to(outside / "secret.csv")
    assert message(inside / "link.csv") == existing
    # inside a folder, a missing file and a pipe are named as such
    with pytest.raises(InputError, match="file not found"):
        read_server_file(inside / "missing.csv", folders=[inside])
    os.mkfifo(inside / "pipe.csv")
    with pytest.raises(InputError, match="not a regular file"):
        read_server_file(inside / "pipe.csv", folders=[inside])
    assert (
        allowed_server_path(inside / "pairs.csv", folders=[inside])
        == Path(os.path.realpath(inside)) / "pairs.csv"
    )


def test_buffers_still_read(tmp_path):
    assert len(read_pairs(io.BytesIO(PAIRS), name="pairs.csv")) == 1
    assert len(read_pairs(gzip.compress(PAIRS), name="pairs.csv.gz")) == 1
