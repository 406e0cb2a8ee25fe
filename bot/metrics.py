"""A few Prometheus counters and latency summaries, rendered as text at /metrics."""

from __future__ import annotations

from collections import defaultdict, deque


class Metrics:
    def __init__(self) -> None:
        self.counters: dict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
        self.latencies: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=2048))

    def inc(self, name: str, value: float = 1.0, **labels: str) -> None:
        self.counters[(name, tuple(sorted(labels.items())))] += value

    def observe(self, name: str, seconds: float) -> None:
        self.latencies[name].append(seconds)

    def render(self) -> str:
        lines: list[str] = []
        seen: set[str] = set()
        for (name, labels), value in sorted(self.counters.items()):
            if name not in seen:
                lines.append(f"# TYPE kundresa_{name} counter")
                seen.add(name)
            label = ",".join(f'{k}="{v}"' for k, v in labels)
            lines.append(f"kundresa_{name}{{{label}}} {value:g}" if label else f"kundresa_{name} {value:g}")
        for name, values in sorted(self.latencies.items()):
            data = sorted(values)
            if not data:
                continue
            lines.append(f"# TYPE kundresa_{name}_seconds summary")
            for q in (0.5, 0.9, 0.99):
                v = data[min(len(data) - 1, int(q * len(data)))]
                lines.append(f'kundresa_{name}_seconds{{quantile="{q}"}} {v:.6f}')
            lines.append(f"kundresa_{name}_seconds_count {len(data)}")
        return "\n".join(lines) + "\n"
