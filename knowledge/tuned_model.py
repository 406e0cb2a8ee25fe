"""Where `kundresa kb tune` keeps its models and how the Embedder finds the current one.

Layout, in `model.tuned_dir` (the SQLite database's folder; `model.cache_dir` for PostgreSQL or an
in-memory database)::

    kundresa-models/
        tuned-20261125T101500Z/      a sentence-transformers folder
        current.json                 {"path", "base_model_id", "articles_hash", "created_at"}

A model is written into a hidden temporary folder, renamed into place when complete, and only then named
by `current.json` (itself written to a temporary file and `os.replace`d): a crash mid-tuning leaves the
previous model in use. The Embedder uses the pointer's model only when its base model id is the
configured model's and it loads; on any problem it logs a warning and uses the base model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from config import ConfigError, ModelSettings
from knowledge.index_blocks import IndexedArticle

if TYPE_CHECKING:
    from knowledge.tuning import TuneOptions, TuneReport

__all__ = [
    "MODELS_DIR",
    "POINTER",
    "Pointer",
    "TunedModel",
    "find_tuned",
    "models_dir",
    "publish",
    "read_pointer",
    "write_pointer",
]

log = logging.getLogger("kundresa.model")

MODELS_DIR = "kundresa-models"
POINTER = "current.json"


@dataclass(frozen=True)
class Pointer:
    path: str  # the tuned folder: relative to kundresa-models/, or absolute
    base_model_id: str
    articles_hash: str
    created_at: str

    def folder(self, models: Path) -> Path:
        return models / self.path


@dataclass(frozen=True)
class TunedModel:
    path: str  # folder to load
    model_id: str  # embedding-cache id: base id + "+tuned-<hash>"
    pointer: Pointer


def models_dir(settings: ModelSettings) -> Path | None:
    """`kundresa-models/` under `model.tuned_dir`; None when the settings name no folder (tools that build
    `ModelSettings` by hand never pick up a tuned model by accident)."""
    return Path(settings.tuned_dir).expanduser() / MODELS_DIR if settings.tuned_dir else None


def read_pointer(models: Path) -> Pointer | None:
    """The current pointer; None when there is none. Raises `ConfigError` when it is unreadable."""
    file = models / POINTER
    try:
        raw = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"{file}: {exc}") from exc
    try:
        data = json.loads(raw)
        return Pointer(
            path=str(data["path"]),
            base_model_id=str(data["base_model_id"]),
            articles_hash=str(data["articles_hash"]),
            created_at=str(data["created_at"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"{file} is not a tuned-model pointer ({type(exc).__name__}: {exc})") from exc


def write_pointer(models: Path, pointer: Pointer) -> None:
    """Replace `current.json` atomically: readers see the old pointer or the new one, never half of one."""
    models.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".current-", suffix=".json", dir=models)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(pointer), fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, models / POINTER)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def tuned_id(base_id: str, pointer: Pointer) -> str:
    digest = hashlib.sha256(f"{pointer.path}\n{pointer.created_at}\n{pointer.articles_hash}".encode())
    return f"{base_id}+tuned-{digest.hexdigest()[:12]}"


def find_tuned(settings: ModelSettings, base_id: str) -> TunedModel | None:
    """The tuned model to use instead of the base model `base_id`, or None (with a warning when a pointer
    exists but cannot be used). Loading it can still fail: the Embedder then falls back."""
    models = models_dir(settings)
    if settings.tuned == "off" or models is None:
        return None
    try:
        pointer = read_pointer(models)
    except ConfigError as exc:
        log.warning("ignoring the tuned model: %s; using the base model (run `kundresa kb tune` again)", exc)
        return None
    if pointer is None:
        return None
    if pointer.base_model_id != base_id:
        log.warning(
            "ignoring the tuned model %s: it was tuned from %s, the configured model is %s "
            "(run `kundresa kb tune` again to tune this one)",
            pointer.path,
            pointer.base_model_id,
            base_id,
        )
        return None
    folder = pointer.folder(models)
    if not (folder / "modules.json").is_file():
        log.warning("ignoring the tuned model: %s is missing or incomplete; using the base model", folder)
        return None
    return TunedModel(str(folder), tuned_id(base_id, pointer), pointer)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")


def publish(
    settings: ModelSettings,
    articles: Sequence[IndexedArticle],
    *,
    options: TuneOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Pointer, TuneReport]:
    """Tune the configured base model on `articles` into `kundresa-models/tuned-<timestamp>/`, point
    `current.json` at it and remove older tuned folders."""
    from knowledge.embedder import resolve_model
    from knowledge.tuning import articles_hash, tune

    models = models_dir(settings)
    if models is None:
        raise ConfigError("model.tuned_dir is empty: set it to the folder where tuned models are kept")
    base_path, base_id = resolve_model(settings.name, settings.cache_path())
    try:
        models.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create {models}: {exc}; set model.tuned_dir to a writable folder") from exc
    name = f"tuned-{_stamp()}"
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=models))
    try:
        report = tune(base_path, articles, tmp, options, progress)
        os.replace(tmp, models / name)  # complete before anything names it
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    pointer = Pointer(
        path=name,
        base_model_id=base_id,
        articles_hash=articles_hash(articles),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    try:
        previous = read_pointer(models)
    except ConfigError:
        previous = None
    write_pointer(models, pointer)
    _prune(models, keep={name, previous.path if previous else name})
    report.path = models / name
    return pointer, report


def _prune(models: Path, keep: set[str]) -> None:
    """Remove tuned folders other than `keep` (the new one and the one a running server may still use),
    and temporary folders of crashed runs once a day old (a younger one may be another run's)."""
    day_ago = time.time() - 86400
    for entry in models.iterdir():
        if not entry.is_dir() or entry.name in keep:
            continue
        stale = entry.name.startswith(".tuned-") and entry.stat().st_mtime < day_ago
        if entry.name.startswith("tuned-") or stale:
            shutil.rmtree(entry, ignore_errors=True)
