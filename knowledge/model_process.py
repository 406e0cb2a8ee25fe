"""The parent's handle on one model worker process (see `model_worker` for the child's side)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from config import ConfigError, ModelSettings, UnavailableError
from knowledge import model_worker

log = logging.getLogger("kundresa.model")


class ModelProcess:
    """A spawned process holding the model; `encode` runs there. A process that dies is replaced and
    the call retried once."""

    def __init__(self, settings: ModelSettings, path: str, hint: str) -> None:
        self.settings = settings
        self.path = path
        self.hint = hint
        self.dim = 0
        self.restarts = 0
        self._pool: ProcessPoolExecutor | None = None
        self._starting: asyncio.Task[None] | None = None

    @property
    def ready(self) -> bool:
        return self._pool is not None

    @property
    def alive(self) -> bool:
        """Whether the worker process is up now: False while it starts, after it died, once closed."""
        pool = self._pool
        if pool is None or getattr(pool, "_broken", False):
            return False
        workers = getattr(pool, "_processes", None) or {}
        return any(worker.is_alive() for worker in workers.values())

    @property
    def state(self) -> str:
        """For health checks: one of up, starting, down."""
        if self.alive:
            return "up"
        return "starting" if self._starting is not None else "down"

    def revive(self) -> None:
        """A worker that died while idle is replaced in the background. The next `encode` would do it
        too, but a server that is not ready gets no questions: health checks call this."""
        if self._pool is not None and not self.alive:
            log.warning("a model worker process died; starting a new one")
            self._discard(self._pool)
        self.start_soon()

    def _discard(self, pool: ProcessPoolExecutor | None) -> None:
        """Drop a broken pool, unless another caller replaced it already."""
        if pool is not None and self._pool is pool:
            pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
            self.restarts += 1

    def start_soon(self) -> None:
        """Start in the background (a spare worker: the server need not wait for it to serve)."""
        if self._pool is None and self._starting is None:
            self._starting = asyncio.get_running_loop().create_task(self._start_in_background())

    async def _start_in_background(self) -> None:
        try:
            await self.start()
        except asyncio.CancelledError:
            raise
        except Exception:  # the first worker loaded this model, so this is rare: retried on first use
            log.exception("a spare model worker could not start")
        finally:
            self._starting = None

    async def start(self) -> None:
        """Spawn the worker and load the model in it (seconds); raises ConfigError if it cannot load."""
        # spawn, not fork: forking a process with an event loop and threads running is unsafe.
        # The initializer makes the worker die with this process, even when this one is killed (SIGKILL).
        pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=model_worker.init_worker,
            initargs=(os.getpid(),),
        )
        loop = asyncio.get_running_loop()
        s = self.settings
        try:
            dim, problem = await loop.run_in_executor(
                pool, model_worker.load, self.path, s.device, s.threads, s.dtype
            )
        except BrokenProcessPool as exc:
            pool.shutdown(wait=False, cancel_futures=True)
            raise ConfigError(
                "the model worker process died while starting. If you start Kundresa from your own script, "
                "put that code under `if __name__ == '__main__':` (the worker is spawned and imports your "
                'main module); or set model.worker = "thread"'
            ) from exc
        except BaseException:  # cancelled (a shutdown while a spare loads), or worse
            _end_now(pool)
            raise
        if problem is not None:
            pool.shutdown(wait=False, cancel_futures=True)
            raise ConfigError(f"cannot load embedding model {s.name!r} offline: {self.hint} ({problem})")
        self.dim = dim
        self._pool = pool

    def close(self) -> None:
        if self._starting is not None:
            self._starting.cancel()
            self._starting = None
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def pid(self) -> int:
        if self._pool is None:
            raise UnavailableError("the model worker is not running", code="model_not_started")
        return await asyncio.get_running_loop().run_in_executor(self._pool, model_worker.pid)

    async def encode(self, texts: list[str]) -> np.ndarray:
        loop = asyncio.get_running_loop()
        s = self.settings
        for attempt in (1, 2):
            if self._starting is not None:
                await asyncio.shield(self._starting)
            if self._pool is None:
                await self.start()
            pool = self._pool
            if pool is None:  # closed while starting
                raise UnavailableError("the model worker is not running", code="model_not_started")
            try:
                return await loop.run_in_executor(
                    pool, model_worker.encode, texts, s.batch_size, s.batch_tokens, s.packed
                )
            except BrokenProcessPool:
                # The worker died (killed, out of memory): start a new one and try once more.
                if attempt == 2:
                    raise
                if self._pool is pool:  # not replaced already (`revive`)
                    log.warning("a model worker process died; starting a new one")
                self._discard(pool)
        raise AssertionError("unreachable")


def _end_now(pool: ProcessPoolExecutor) -> None:
    """Stop `pool` without waiting for its worker: one still loading the model would otherwise hold up
    this process's exit for the whole load (interpreter exit joins every pool)."""
    for worker in list((getattr(pool, "_processes", None) or {}).values()):
        if worker.is_alive():
            worker.kill()
    pool.shutdown(wait=True, cancel_futures=True)  # quick now; joined, its queues are released cleanly
