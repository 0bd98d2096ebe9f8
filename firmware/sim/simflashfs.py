"""The simulated board's flash filesystem: a host folder, of a given size (``--flash-size``).

A board's flash is small, and an application that fills it must get ``OSError(ENOSPC)``
and a ``statvfs`` that says how little is left, as littlefs or FAT on a board would give.
The host folder has no such limit, so this filesystem (a MicroPython VFS object, mounted by
``simboot``) wraps ``vfs.VfsPosix`` and counts what it holds in 4 KiB blocks, the erase
block of an ESP32's or RP2040's flash: every file takes its size rounded up to whole
blocks, every folder one block.  Reads go straight to the host file; writes go through a
small wrapper that refuses the block that would not fit.  Without a size nothing is
counted (statvfs is the host's).

It also works around VfsPosix.rename in MicroPython v1.28 (extmod/vfs_posix.c): with a root
folder, both paths are built in one shared buffer, so the old path is lost and the rename
fails with ENOENT.  A path that does not start with "/" is passed through untouched, so
rename gets paths relative to the process's current folder, which VfsPosix.chdir keeps at
the root folder plus the board's current folder.
"""

import os
import vfs

_BLOCK = 4096
_ENOSPC = 28


def _blocks(size):
    return (size + _BLOCK - 1) // _BLOCK


class Flash:
    def __init__(self, root, size_bytes=None):
        self.posix = vfs.VfsPosix(root)
        self.cwd = "/"
        self.total = size_bytes // _BLOCK if size_bytes else None
        self.used = self._count(root) if size_bytes else 0

    def _count(self, path):
        used = 0
        for entry in os.ilistdir(path):
            child = path + "/" + entry[0]
            if entry[1] == 0x4000:
                used += 1 + self._count(child)
            else:
                used += _blocks(os.stat(child)[6])
        return used

    def _size(self, path):
        try:
            return self.posix.stat(path)[6]
        except OSError:
            return None

    def claim(self, blocks):
        """Take blocks more (or give some back when negative); ENOSPC when they do not fit."""
        if blocks > 0 and self.total is not None and self.used + blocks > self.total:
            raise OSError(_ENOSPC)
        self.used += blocks

    # The VFS protocol (extmod/vfs.c calls these with paths below the mount point).
    def mount(self, readonly, mkfs):
        pass

    def umount(self):
        pass

    def open(self, path, mode):
        if "w" in mode or "a" in mode or "+" in mode or "x" in mode:
            return _Writer(self, path, mode)
        return self.posix.open(path, mode)

    def ilistdir(self, path):
        return self.posix.ilistdir(path)

    def stat(self, path):
        return self.posix.stat(path)

    def statvfs(self, path):
        if self.total is None:
            return self.posix.statvfs(path)
        free = max(0, self.total - self.used)
        return (_BLOCK, _BLOCK, self.total, free, free, 0, 0, 0, 0, 255)

    def chdir(self, path):
        self.posix.chdir(path)
        self.cwd = self.posix.getcwd()

    def getcwd(self):
        return self.posix.getcwd()

    def mkdir(self, path):
        self.claim(1)
        try:
            self.posix.mkdir(path)
        except OSError:
            self.used -= 1
            raise

    def rmdir(self, path):
        self.posix.rmdir(path)
        self.used -= 1

    def remove(self, path):
        size = self._size(path)
        self.posix.remove(path)
        self.used -= _blocks(size or 0)

    def _relative(self, path):
        if not path.startswith("/"):
            return path
        depth = len([p for p in self.cwd.split("/") if p])
        return "../" * depth + path[1:] if depth else path[1:]

    def rename(self, old, new):
        replaced = self._size(new)
        self.posix.rename(self._relative(old), self._relative(new))
        if replaced is not None:
            self.used -= _blocks(replaced)


class _Writer:
    """A file open for writing, whose growth is counted against the flash."""

    def __init__(self, fs, path, mode):
        old = fs._size(path) if "w" in mode else None
        self.file = fs.posix.open(path, mode)
        if old:
            fs.used -= _blocks(old)  # "w" truncated it
        self.fs = fs
        self.size = 0 if "w" in mode else (fs._size(path) or 0)

    def write(self, data):
        grown = self.file.tell() + len(data)
        if grown > self.size:
            self.fs.claim(_blocks(grown) - _blocks(self.size))
            self.size = grown
        return self.file.write(data)

    def read(self, *args):
        return self.file.read(*args)

    def readinto(self, *args):
        return self.file.readinto(*args)

    def seek(self, *args):
        return self.file.seek(*args)

    def tell(self):
        return self.file.tell()

    def flush(self):
        return self.file.flush()

    def close(self):
        return self.file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()
