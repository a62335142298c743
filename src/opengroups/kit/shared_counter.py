"""A number shared by every process on one host, read without a system call: a memory-mapped
file.

The caches use it to learn, without asking the database, whether anything they hold may have
changed. The file holds one little-endian 64-bit integer that only ever grows: ``publish`` stores
a value only when it is larger (under an exclusive ``flock``, so two writers cannot go back),
and ``read`` is a plain load from shared memory, which every process sees at once.
"""

from __future__ import annotations

import fcntl
import mmap
import os
import struct
from pathlib import Path

_FORMAT = struct.Struct("<q")


class SharedCounter:
    """A monotonic integer in ``path``, shared through the page cache with every process that
    opens the same file. The file is created (0600) when missing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = -1
        self._inode = -1
        self._map: mmap.mmap | None = None
        self._open()

    def _open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if os.fstat(fd).st_size < _FORMAT.size:
                os.ftruncate(fd, _FORMAT.size)  # zero-filled: the counter starts at 0
            fcntl.flock(fd, fcntl.LOCK_UN)
            mapped = mmap.mmap(fd, _FORMAT.size, mmap.MAP_SHARED)
        except BaseException:
            os.close(fd)
            raise
        self.close()
        self._fd, self._map, self._inode = fd, mapped, os.fstat(fd).st_ino

    def read(self) -> int:
        assert self._map is not None, "the counter is closed"
        value: int = _FORMAT.unpack_from(self._map, 0)[0]
        return value

    def publish(self, value: int) -> int:
        """Raise the counter to ``value`` unless it is already at least that; returns the
        counter afterwards."""
        assert self._map is not None, "the counter is closed"
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            current: int = _FORMAT.unpack_from(self._map, 0)[0]
            if value > current:
                _FORMAT.pack_into(self._map, 0, value)
                return value
            return current
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def reopen_if_replaced(self) -> bool:
        """Map the file again if someone deleted or replaced it (every process must share one
        file, and a new process would create a new one). True when it was reopened."""
        try:
            replaced = os.stat(self.path).st_ino != self._inode
        except FileNotFoundError:
            replaced = True
        if replaced:
            self._open()
        return replaced

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
            self._map = None
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
