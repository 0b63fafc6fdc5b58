"""SIGINT / SIGTERM during training: noted, so that the loop saves ``last/`` and stops between steps."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: The signals a training run turns into "save, then stop".
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class StopRequest:
    """Truthy once a stop signal arrived; ``name`` is that signal's name (``"SIGINT"``)."""

    def __init__(self) -> None:
        self.name: str | None = None

    def __bool__(self) -> bool:
        return self.name is not None


@contextmanager
def deferred_stop() -> Iterator[StopRequest]:
    """Within the block the first SIGINT / SIGTERM only sets the yielded :class:`StopRequest`.

    The handlers in place before are put back at once, so a second signal acts as usual (Ctrl-C
    twice stops at once). Off the main thread (where Python cannot install handlers) nothing changes.
    """
    request = StopRequest()
    if threading.current_thread() is not threading.main_thread():
        yield request
        return
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    def note(signum, frame) -> None:
        request.name = signal.Signals(signum).name
        restore()

    for sig in STOP_SIGNALS:
        signal.signal(sig, note)
    try:
        yield request
    finally:
        restore()
