"""What the benchmarks say about the machine they ran on (imported by the bench scripts, which run from
this folder)."""

from __future__ import annotations

import os
import platform
from pathlib import Path


def loadavg() -> float | None:
    """Other work on the machine skews every number here: the reports show the load around the run."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"
