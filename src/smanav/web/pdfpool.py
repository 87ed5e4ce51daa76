"""PDF rendering off the event loop: a small pool of worker processes, recycled.

WeasyPrint takes tens to hundreds of milliseconds of CPU per plan and keeps native
memory it never gives back. Run inside the async handler it stalled every other
request (search p50 5 ms → 1.3 s with 4 PDF clients) and the server grew by about
0.6 MB per PDF. Here each PDF is rendered in a worker process (``spawn``: no copy of
the server's threads or sockets), awaited with ``run_in_executor``; a worker is
replaced after ``max_tasks`` PDFs, so what it leaked goes with it. The pool is made
on the first PDF and shut down with the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

__all__ = ["PDF_MAX_TASKS", "PDF_MAX_WAITING", "PDF_WORKERS", "PdfBusy", "PdfPool"]

T = TypeVar("T")

#: Worker processes by default (``SMANAV_PDF_WORKERS``, 1–4, read by ``settings.pdf_workers``
#: when the pool is made): one leaves the other core to the server.
PDF_WORKERS = 1
#: PDFs a worker renders before it is replaced (its native memory goes with it).
PDF_MAX_TASKS = 25
#: PDFs that may wait per worker; one more is answered 503 with Retry-After. At about 3 s
#: a PDF, 8 waiting is a wait of under half a minute (a load test with a cap of 32 had
#: clients time out after a minute instead of being told to retry).
PDF_MAX_WAITING = 8


class PdfBusy(Exception):
    """More PDFs are waiting than ``PDF_MAX_WAITING``."""


def _render(plan: dict[str, Any]) -> bytes:
    from ..plan import render_pdf

    return render_pdf(plan)


def _warm() -> int:
    """Import WeasyPrint in a new worker before its first PDF, at a lower CPU priority.

    On a small machine a PDF keeps a core busy for seconds: the worker yields to the
    server's own process, so searches and plans stay quick while PDFs are made.
    """
    with contextlib.suppress(OSError, AttributeError):
        os.nice(10)
    with contextlib.suppress(ImportError):  # render_pdf says what to install
        import weasyprint  # type: ignore[import-untyped]  # noqa: F401
    return os.getpid()


class PdfPool:
    def __init__(
        self,
        workers: int | None = None,
        max_tasks: int = PDF_MAX_TASKS,
        max_waiting: int | None = None,
    ) -> None:
        if workers is None:
            from ..settings import pdf_workers

            workers = pdf_workers()
        self.workers = workers
        self.max_tasks = max_tasks
        self.max_waiting = PDF_MAX_WAITING * workers if max_waiting is None else max_waiting
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._waiting = 0

    def executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ProcessPoolExecutor(
                    max_workers=self.workers,
                    mp_context=multiprocessing.get_context("spawn"),
                    max_tasks_per_child=self.max_tasks,
                    initializer=_warm,
                )
            return self._executor

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in a worker; raises PdfBusy when too many are waiting."""
        if self._waiting >= self.max_waiting:
            raise PdfBusy()
        self._waiting += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.executor(), fn, *args)
        except BrokenProcessPool:  # a worker was killed (out of memory): start afresh next time
            with self._lock:
                self._executor = None
            raise
        finally:
            self._waiting -= 1

    async def render(self, plan: dict[str, Any]) -> bytes:
        return await self.run(_render, plan)

    def shutdown(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
