"""One spawned helper process (charts, the dashboard's precompute) that dies with the bot."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor


def watch_parent(parent: int) -> None:
    """Exit when the bot process is gone (killed, not stopped): no orphan keeps its heap."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(2)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def one_process() -> ProcessPoolExecutor:
    """A pool of one spawned process (a fork would copy the bot's heap and threads) that
    exits with the process that made it."""
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=watch_parent,
        initargs=(os.getpid(),),
    )
