"""One classic script from ES modules, without a build tool: what serves `/widget.js`, which shops embed
with a plain `<script src>` (no `type="module"`, any page, any browser the widget supports).

The widget's source is modules (`bot/static/widget/*.js`, importing the one Markdown renderer in
`bot/static/markdown/`). `assemble(entry)` puts them in one IIFE, in the order a browser evaluates them
(each module after what it imports, depth first, in import order), with every `import` statement taken
out and every `export` keyword dropped: the modules then share one scope, so each top-level name may be
declared by one module only (checked here). Only `export function|const|let|class` and imports of
relative paths are supported; anything else is a `ConfigError` at start (a mistake in our own files).

`BundleAsset` is an `Asset` whose bytes are the assembly: gzip, `ETag`, versioned URLs and 304 as for any
file, assembled again when one of its modules changes on disk. Deterministic: the same files give the
same bytes (so the same `ETag` in every process of a deployment).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from config.errors import ConfigError
from router.assets import SHORT_CACHE, Asset

__all__ = ["BundleAsset", "assemble"]

# `import {a, b} from './x.js';`, `import * as X from '../y.js';`, `import './z.js';` (maybe over lines)
_IMPORT = re.compile(r"""^import\s+(?:[\w$*{}\s,]+?\s+from\s+)?(['"])([^'"\n]+)\1\s*;?[ \t]*(?:\n|$)""", re.M)
_EXPORT = re.compile(r"^export\s+(?=(?:async\s+)?function\b|const\b|let\b|class\b)", re.M)
_OTHER_EXPORT = re.compile(r"^export\b", re.M)
_DECLARED = re.compile(r"^(?:async\s+)?function\*?\s+([\w$]+)|^(?:const|let|var|class)\s+([\w$]+)", re.M)
_DESTRUCTURED = re.compile(r"^(?:const|let|var)\s+\{([^}]*)\}\s*=", re.M)
_DOC = re.compile(r"\A\s*(/\*\*.*?\*/)\s*\n", re.S)


def _modules(entry: Path) -> list[Path]:
    """The entry and every module it imports, each after its own imports (ES module evaluation order)."""
    order: list[Path] = []
    seen: set[Path] = set()

    def visit(path: Path) -> None:
        if path in seen:
            return  # done, or an import cycle: a browser evaluates it where it was first met, so do we
        seen.add(path)
        if not path.is_file():
            raise ConfigError(f"{path}: imported but not there")
        for match in _IMPORT.finditer(path.read_text(encoding="utf-8")):
            spec = match.group(2)
            if not spec.startswith(("./", "../")):
                raise ConfigError(f"{path}: only relative imports can be assembled, not {spec!r}")
            visit((path.parent / spec).resolve())
        order.append(path)

    visit(entry.resolve())
    return order


def _names(code: str) -> set[str]:
    names = {a or b for a, b in _DECLARED.findall(code)}
    for group in _DESTRUCTURED.findall(code):
        names |= {part.split(":")[-1].strip() for part in group.split(",") if part.strip()}
    return names


def assemble(entry: Path, prologue: str = "") -> tuple[bytes, list[Path]]:
    """The script, and the files it was made of. `prologue` runs first inside the IIFE (e.g. a guard)."""
    files = _modules(entry)
    root = entry.resolve().parent.parent
    doc = _DOC.match(files[-1].read_text(encoding="utf-8"))
    parts = [
        doc.group(1) + "\n" if doc else "",
        f"// Assembled from {', '.join(str(f.relative_to(root)) for f in files)} (router/js_bundle.py).\n",
        "(() => {\n'use strict';\n",
        prologue + "\n" if prologue else "",
    ]
    owner: dict[str, Path] = {}
    for path in files:
        code = path.read_text(encoding="utf-8")
        if path == files[-1] and doc:
            code = code[doc.end() :]
        code = _EXPORT.sub("", _IMPORT.sub("", code))
        if _OTHER_EXPORT.search(code) or _IMPORT.search(code):
            raise ConfigError(f"{path}: an import or export form the assembler does not take")
        for name in _names(code):
            if name in owner:
                raise ConfigError(
                    f"{path} and {owner[name]} both declare {name!r} (one scope once assembled)"
                )
            owner[name] = path
        parts.append(f"\n// ---- {path.relative_to(root)}\n{code.strip()}\n")
    parts.append("})();\n")
    return "".join(parts).encode("utf-8"), files


class BundleAsset(Asset):
    """An `Asset` served from `assemble(entry)`; assembled again when any of its modules changes."""

    def __init__(
        self,
        entry: Path,
        route: str,
        content_type: str,
        prologue: str = "",
        headers: Mapping[str, str] | None = None,
        unversioned_cache: str = SHORT_CACHE,
    ) -> None:
        super().__init__(entry, route, content_type, headers=headers, unversioned_cache=unversioned_cache)
        self.prologue = prologue
        self._files: list[Path] = []

    def stamp(self) -> tuple[object, int]:
        if not self._files:  # every module counts from the first load on, not the entry alone
            _, self._files = assemble(self.path, self.prologue)
        stats = [(str(path), os.stat(path)) for path in self._files]
        stamp = tuple((path, st.st_mtime_ns, st.st_size) for path, st in stats)
        return stamp, max(int(st.st_mtime) for _, st in stats)

    def read(self) -> bytes:
        body, self._files = assemble(self.path, self.prologue)
        return body
