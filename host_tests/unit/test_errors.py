# The error classes: one family, OSError-compatible, with their data.
from remora import errors

for cls in (errors.Timeout, errors.Closed, errors.CannotConnect, errors.CannotResolve,
            errors.Shutdown, errors.WrongMode):
    exc = cls("x") if cls is not errors.Closed else cls()
    assert isinstance(exc, errors.SocketError)
    assert isinstance(exc, OSError)

full = errors.QueueFull(4000)
assert full.queued == 4000 and isinstance(full, errors.SocketError)
assert errors.Closed("reset", True).reset is True
assert errors.Closed().reset is False
assert errors.CannotConnect("refused", 111).code == 111
assert not isinstance(errors.DispatcherBlocked("x"), OSError)

import remora  # the lazy names resolve to the same objects

assert remora.QueueFull is errors.QueueFull
assert remora.n2h(2, b"\x00\x10") == 16
print("PASS")
