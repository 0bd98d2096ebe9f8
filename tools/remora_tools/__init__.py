"""Host-side tools for remora: the ``remora`` command, board profiles, mpy compilation.

These run on CPython only (they drive ``mpy-cross`` and the MicroPython unix port); nothing
here goes onto a board.
"""
