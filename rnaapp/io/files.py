r"""Files: reading one whole as text, opening one for streaming, and writing one atomically.

Holds the bounded readers shared by every format (:func:`_read_text`: a path, bytes or file-like object
to text, gzip decompressed, BOM and ``\\r`` removed; :func:`_open_sequence_file`: a byte stream of a
possibly gzipped file, refusing binary files and spreadsheets) and :func:`atomic_write`. Both are bounded
(:mod:`rnaapp.io.bounded`): regular files only, never blocking on a pipe or device, size-capped, and gzip
decompressed as a capped stream. Problems are raised as :class:`~rnaapp.io.errors.InputError` naming the
file.
"""

from __future__ import annotations

import gzip
import io
import os
import tempfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rnaapp.io.bounded import (
    MAX_TEXT_LINES,
    CappedStream,
    gunzip_capped,
    open_regular,
    read_regular_file,
)
from rnaapp.io.errors import InputError

__all__ = ["atomic_write"]

_STREAM_HEAD = 65536


def _source_name(path_or_buffer: Any, name: str | None) -> str:
    if name:
        return str(name)
    if isinstance(path_or_buffer, (str, os.PathLike)):
        return Path(path_or_buffer).name or str(path_or_buffer)
    buffer_name = getattr(path_or_buffer, "name", None)
    if isinstance(buffer_name, str) and buffer_name:
        return Path(buffer_name).name or buffer_name
    return "<input>"


def _read_text(path_or_buffer: Any, source: str) -> str:
    r"""Return the text of a path, bytes or file-like object: BOM removed, line ends turned into ``\\n``."""
    if isinstance(path_or_buffer, (str, os.PathLike)):
        data: bytes | str = read_regular_file(path_or_buffer, source=source)
    elif isinstance(path_or_buffer, (bytes, bytearray, memoryview)):
        data = bytes(path_or_buffer)
    elif hasattr(path_or_buffer, "getvalue"):
        data = path_or_buffer.getvalue()
    elif hasattr(path_or_buffer, "read"):
        data = path_or_buffer.read()
    else:
        raise TypeError(f"expected a path or a file-like object, not {type(path_or_buffer).__name__}")

    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if data[:2] == b"\x1f\x8b":
            data = gunzip_capped(data, source=source)
        if data[:4] == b"PK\x03\x04":
            raise InputError(
                "this looks like a spreadsheet or zip archive; save it as CSV or tab-separated text",
                source=source,
            )
        if b"\x00" in data[:65536]:
            raise InputError("this is not a text file (it contains binary data)", source=source)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    elif isinstance(data, str):
        text = data
    else:
        raise TypeError(f"reading the buffer gave {type(data).__name__}, not bytes or str")

    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError("the file is empty", source=source)
    lines = text.count("\n")
    if lines > MAX_TEXT_LINES:
        raise InputError(
            f"the file has {lines:,} lines; rnaapp reads files of up to {MAX_TEXT_LINES:,} lines whole "
            "(split it, or scan long sequence files with `rnaapp scan`, which streams them)",
            source=source,
        )
    return text


def _open_sequence_file(path: str | os.PathLike, source: str) -> tuple[io.BufferedIOBase, bool]:
    """Open a file for streaming its bytes (gzip decompressed); refuse binary files and spreadsheets.

    Returns the stream, positioned at the start, and whether the file is gzip-compressed.
    """
    path = Path(path)
    try:
        handle = _open_regular(path, source)
        compressed = handle.read(2) == b"\x1f\x8b"
        handle.seek(0)
        stream: io.BufferedIOBase = handle
        if compressed:
            capped = CappedStream(gzip.GzipFile(fileobj=handle, mode="rb"), source=source)
            stream = io.BufferedReader(capped, buffer_size=1024 * 1024)
    except FileNotFoundError:
        raise InputError(f"file not found ({path})", source=source) from None
    except OSError as err:
        raise InputError(f"cannot read the file ({err.strerror or err})", source=source) from None
    try:
        head = stream.read(_STREAM_HEAD)
        stream.seek(0)
    except (OSError, EOFError, zlib.error) as err:
        stream.close()
        raise _stream_error(err, compressed, source) from None
    if head[:4] == b"PK\x03\x04":
        stream.close()
        raise InputError(
            "this looks like a spreadsheet or zip archive; save it as FASTA or tab-separated text",
            source=source,
        )
    if b"\x00" in head:
        stream.close()
        raise InputError("this is not a text file (it contains binary data)", source=source)
    return stream, compressed


def _open_regular(path: Path, source: str) -> io.BufferedReader:
    """Open a regular file for reading without blocking on a pipe; refuse devices, pipes and folders."""
    descriptor, _ = open_regular(path, source=source)
    return os.fdopen(descriptor, "rb")


def _stream_error(err: BaseException, compressed: bool, source: str) -> InputError:
    if compressed:
        return InputError(f"the gzip file is damaged ({err})", source=source)
    return InputError(f"cannot read the file ({getattr(err, 'strerror', None) or err})", source=source)


def atomic_write(path: str | Path, write: Callable[[str], Any]) -> Path:
    """Write a file so that readers see either the old or the complete new content, never a part.

    ``write(temporary_path)`` writes a temporary file in the same folder, which is then renamed over
    ``path``; if ``write`` fails, the temporary file is removed and ``path`` is left as it was. The new
    file gets the usual permissions (0666 less the umask).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        write(temporary)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path
