"""Bounded reads: regular files only, size-capped, gzip streamed and capped, and the folders a server reads.

Every file rnaapp reads whole goes through :func:`read_regular_file`: it opens without blocking (a named
pipe cannot hang it), refuses anything but a regular file (``/dev/zero``, a pipe, a folder) and refuses a
file over :data:`MAX_FILE_BYTES` before reading it. Compressed data is decompressed as a stream by
:func:`gunzip_capped`, which stops at :data:`MAX_TEXT_BYTES` (a gzip bomb is refused, not expanded), and
:class:`CappedStream` bounds what a streamed, decompressed sequence file may yield.

Paths typed into the app name files on the computer that runs it. :func:`read_server_file` reads one only
inside :func:`readable_folders` (the user's home folder, the folder the app started in, and the folders
listed in ``RNAAPP_READABLE_FOLDERS``), and says the same thing for a file outside them whether or not it
exists. :func:`is_local_address` tells the pages whether the app is bound to this computer only: when it is
not, the pages offer uploads only and read no server path at all.
"""

from __future__ import annotations

import gzip
import io
import ipaddress
import os
import stat
import zlib
from collections.abc import Iterable
from pathlib import Path

from rnaapp.io.errors import InputError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_STREAM_BYTES",
    "MAX_TEXT_BYTES",
    "MAX_TEXT_LINES",
    "READABLE_FOLDERS_VARIABLE",
    "CappedStream",
    "allowed_server_path",
    "gunzip_capped",
    "is_local_address",
    "read_regular_file",
    "read_server_file",
    "readable_folders",
]

#: Largest file read whole (bytes), compressed or not: 2 GiB, the app's upload limit.
MAX_FILE_BYTES = 2 * 1024**3
#: Largest text a file read whole may decompress to (bytes): 2 GiB.
MAX_TEXT_BYTES = 2 * 1024**3
#: Most lines a file read whole may have (a pair table of 20 million rows).
MAX_TEXT_LINES = 20_000_000
#: Largest decompressed size of a streamed sequence file (bytes): 64 GiB, far above a transcriptome.
MAX_STREAM_BYTES = 64 * 1024**3
#: Environment variable: more folders (separated by ``os.pathsep``) whose files the app may read.
READABLE_FOLDERS_VARIABLE = "RNAAPP_READABLE_FOLDERS"

_CHUNK = 1024 * 1024


def _size(count: int) -> str:
    """``count`` bytes in words, e.g. ``"2.0 GB"``."""
    for unit, scale in (("GB", 1024**3), ("MB", 1024**2), ("kB", 1024)):
        if count >= scale:
            return f"{count / scale:.1f} {unit}"
    return f"{count} bytes"


def open_regular(path: str | os.PathLike, *, source: str) -> tuple[int, os.stat_result]:
    """Open a regular file without blocking on a pipe; refuse folders, devices, pipes and sockets.

    Returns
    -------
    tuple of (int, os.stat_result)
        The open file descriptor (the caller closes it) and its status.

    Raises
    ------
    FileNotFoundError, OSError
        From opening the path.
    InputError
        When the path is not a regular file.
    """
    flags = (
        os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    )
    descriptor = os.open(path, flags)
    status = os.fstat(descriptor)
    if not stat.S_ISREG(status.st_mode):
        os.close(descriptor)
        kind = "a folder" if stat.S_ISDIR(status.st_mode) else "a device, pipe or socket"
        raise InputError(f"{path} is {kind}, not a regular file", source=source)
    return descriptor, status


def read_regular_file(path: str | os.PathLike, *, source: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """Read a regular file whole, never blocking on a pipe or device and never beyond ``max_bytes``.

    Parameters
    ----------
    path
        The file.
    source
        Name used in messages.
    max_bytes
        Largest size accepted (bytes).

    Returns
    -------
    bytes
        The file's content.

    Raises
    ------
    InputError
        When the file does not exist, cannot be opened, is not a regular file (a folder, device, pipe or
        socket) or is larger than ``max_bytes``; within a second, whatever the path names.
    """
    try:
        descriptor, status = open_regular(path, source=source)
    except FileNotFoundError:
        raise InputError(f"file not found ({path})", source=source) from None
    except OSError as err:
        raise InputError(f"cannot read the file ({err.strerror or err})", source=source) from None
    try:
        if status.st_size > max_bytes:
            raise InputError(
                f"the file is {_size(status.st_size)}; rnaapp reads files of up to {_size(max_bytes)}",
                source=source,
            )
        chunks, total = [], 0
        while True:
            chunk = os.read(descriptor, min(_CHUNK * 16, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise InputError(f"the file grew beyond {_size(max_bytes)} while it was read", source=source)
        return b"".join(chunks)
    except OSError as err:
        raise InputError(f"cannot read the file ({err.strerror or err})", source=source) from None
    finally:
        os.close(descriptor)


def gunzip_capped(data: bytes, *, source: str, max_bytes: int = MAX_TEXT_BYTES) -> bytes:
    """Decompress gzip data as a stream, refusing output beyond ``max_bytes`` (a gzip bomb).

    Concatenated gzip members are read as one file, as ``gzip.decompress`` does.

    Raises
    ------
    InputError
        For damaged gzip data, or data that would decompress to more than ``max_bytes``.
    """
    stream = gzip.GzipFile(fileobj=io.BytesIO(data))
    chunks, total = [], 0
    try:
        while True:
            chunk = stream.read(min(_CHUNK * 16, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:
                raise InputError(
                    f"the gzip file decompresses to more than {_size(max_bytes)}, the most rnaapp reads whole",
                    source=source,
                )
    except (OSError, EOFError, zlib.error) as err:
        raise InputError(f"the gzip file is damaged ({err})", source=source) from None
    return b"".join(chunks)


class CappedStream(io.RawIOBase):
    """A read-only byte stream that fails with :class:`InputError` once more than ``max_bytes`` pass.

    Wraps a decompressing stream (``gzip.open``) so that a streamed file cannot expand without end.

    Parameters
    ----------
    stream
        The stream read from; closed with this one.
    source
        Name used in the message.
    max_bytes
        Most bytes yielded.
    """

    def __init__(self, stream: io.BufferedIOBase, *, source: str, max_bytes: int = MAX_STREAM_BYTES) -> None:
        super().__init__()
        self._stream = stream
        self._source = source
        self._max_bytes = max_bytes
        self._count = 0

    def readable(self) -> bool:
        """Always ``True``."""
        return True

    def seekable(self) -> bool:
        """Whether the wrapped stream seeks."""
        return self._stream.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Seek the wrapped stream; the count restarts from the new position."""
        position = self._stream.seek(offset, whence)
        self._count = position
        return position

    def tell(self) -> int:
        """The wrapped stream's position."""
        return self._stream.tell()

    def readinto(self, buffer: bytearray | memoryview) -> int:
        """Read into ``buffer``; raise :class:`InputError` once more than ``max_bytes`` were read."""
        data = self._stream.read(len(buffer))
        self._count += len(data)
        if self._count > self._max_bytes:
            raise InputError(
                f"the file decompresses to more than {_size(self._max_bytes)}, the most rnaapp streams",
                source=self._source,
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        """Close this stream and the wrapped one."""
        try:
            self._stream.close()
        finally:
            super().close()


def is_local_address(address: str | None) -> bool:
    """Whether a server bound to ``address`` is reachable from this computer only.

    ``localhost`` and loopback addresses (``127.0.0.1``, ``::1``) are; an empty address (Streamlit then
    listens on every interface), ``0.0.0.0``, ``::`` and network addresses are not.
    """
    text = (address or "").strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        return False


def readable_folders(extra: Iterable[str | os.PathLike] = ()) -> tuple[Path, ...]:
    """The folders whose files the app may read when a path is typed in: resolved, without duplicates.

    The user's home folder, the folder the app started in (unless it is the file system's root), the
    folders in ``RNAAPP_READABLE_FOLDERS`` and ``extra``.
    """
    candidates: list[Path] = [Path.home()]
    working = Path.cwd()
    if working != Path(working.anchor):
        candidates.append(working)
    listed = os.environ.get(READABLE_FOLDERS_VARIABLE, "")
    candidates += [Path(part).expanduser() for part in listed.split(os.pathsep) if part.strip()]
    candidates += [Path(part).expanduser() for part in extra]
    folders: list[Path] = []
    for folder in candidates:
        resolved = Path(os.path.realpath(folder))
        if resolved not in folders:
            folders.append(resolved)
    return tuple(folders)


def allowed_server_path(
    path: str | os.PathLike, *, folders: Iterable[str | os.PathLike] | None = None
) -> Path:
    """The resolved path of a file named by a path typed into the app, when it lies in a readable folder.

    Parameters
    ----------
    path
        As typed (``~`` expanded; relative to the folder the app started in; links followed).
    folders
        The folders allowed (:func:`readable_folders` by default).

    Returns
    -------
    pathlib.Path
        The resolved path (the file may not exist).

    Raises
    ------
    InputError
        For a path outside the folders: the same message whether or not such a file exists, so that the
        app does not tell which server files exist.
    """
    text = str(path).strip()
    source = Path(text).name or text
    allowed = readable_folders() if folders is None else tuple(Path(os.path.realpath(f)) for f in folders)
    resolved = Path(os.path.realpath(Path(text).expanduser()))
    if not any(resolved.is_relative_to(folder) for folder in allowed):
        shown = ", ".join(str(folder) for folder in allowed) or "none"
        raise InputError(
            f"rnaapp reads typed paths only inside these folders: {shown} (list more in "
            f"{READABLE_FOLDERS_VARIABLE} before starting the app); or upload the file",
            source=source,
        )
    return resolved


def read_server_file(
    path: str | os.PathLike,
    *,
    folders: Iterable[str | os.PathLike] | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> bytes:
    """Read a file named by a path typed into the app: inside the readable folders, bounded.

    Parameters
    ----------
    path
        As typed (see :func:`allowed_server_path`).
    folders
        The folders allowed (:func:`readable_folders` by default).
    max_bytes
        Largest size accepted (bytes).

    Returns
    -------
    bytes
        The file's content (still compressed if it is a gzip file).

    Raises
    ------
    InputError
        For a path outside the folders (:func:`allowed_server_path`) and for everything
        :func:`read_regular_file` refuses (a missing file, a device, pipe or folder, a file too large).
    """
    resolved = allowed_server_path(path, folders=folders)
    source = Path(str(path).strip()).name or str(path)
    return read_regular_file(resolved, source=source, max_bytes=max_bytes)
