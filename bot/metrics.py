"""Prometheus metrics of one app, through `prometheus-client`, in a registry of the app's own.

Tests build many apps in one process: nothing goes to the library's global default registry. What is
counted where:

- messages in and out by channel: the event bus's events of this process (`watch_bus`), so no channel
  adapter needs to know;
- the bot's decisions, handoffs and per-stage latencies: `Dialogue` and the channels call `decision`,
  `handoff`, `observe`;
- what is a state, not an event (open sockets, the model's queue, tickets by status, worker processes):
  read when `/metrics` is scraped (`Scraped`), so the hot path pays nothing for it. Tickets by status is
  one grouped count in the database at scrape time: right with several processes on one database, where
  gauges kept on transitions would each see only their own.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

__all__ = ["CONTENT_TYPE", "STAGES", "GCPauseHistogram", "Metrics", "Scraped"]

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# receive→store: a customer message stored (and acknowledged); search: encoding and ranking it;
# decide: the policy; send: storing and delivering one reply; turn: from the message's arrival to the
# bot's last reply.
STAGES = ("store", "search", "decide", "send", "turn")
STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
GC_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)

Read = Callable[[], float | None]


class Scraped(Collector):
    """Values read when scraped: gauges (`gauge`) and counters kept elsewhere (`counter`)."""

    def __init__(self) -> None:
        self._gauges: dict[
            str, tuple[str, list[str], Callable[[], Iterable[tuple[tuple[str, ...], float]]]]
        ] = {}
        self._counters: dict[str, tuple[str, Read]] = {}

    def gauge(
        self,
        name: str,
        doc: str,
        labels: list[str],
        read: Callable[[], Iterable[tuple[tuple[str, ...], float]]],
    ) -> None:
        self._gauges[name] = (doc, labels, read)

    def counter(self, name: str, doc: str, read: Read) -> None:
        self._counters[name] = (doc, read)

    def collect(self) -> Iterator[Metric]:
        for name, (doc, labels, read) in self._gauges.items():
            family = GaugeMetricFamily(name, doc, labels=labels)
            for values, value in read():
                family.add_metric(list(values), value)
            yield family
        for name, (doc, read_one) in self._counters.items():
            total = read_one()
            if total is not None:
                yield CounterMetricFamily(name, doc, value=total)

    def describe(self) -> Iterator[Metric]:
        return iter(())  # read at scrape time only: registering must not call the readers


class GCPauseHistogram(Collector):
    """`kundresa_gc_pause_seconds`: how long each garbage collection stopped the process, by generation.

    Fed from `gc.callbacks` (infra/gc_policy.GCPauses), which run inside whatever code allocated: a
    prometheus-client Histogram there could wait for its own lock (a scrape reading it) for ever, so the
    counts are plain integers here, read at scrape time.
    """

    def __init__(self) -> None:
        self._buckets = [[0] * (len(GC_BUCKETS) + 1) for _ in range(3)]  # by generation; the last: +Inf
        self._sums = [0.0, 0.0, 0.0]

    def observe(self, generation: int, seconds: float) -> None:
        i = 0
        while i < len(GC_BUCKETS) and seconds > GC_BUCKETS[i]:
            i += 1
        self._buckets[generation][i] += 1
        self._sums[generation] += seconds

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            "kundresa_gc_pause_seconds",
            "Garbage collections in this process by generation, by how long each stopped it.",
            labels=["generation"],
        )
        for generation, counts in enumerate(self._buckets):
            running, buckets = 0, []
            for bound, count in zip((*GC_BUCKETS, float("inf")), counts, strict=True):
                running += count
                buckets.append((floatToGoString(bound), running))
            family.add_metric([str(generation)], buckets, self._sums[generation])
        yield family

    def describe(self) -> Iterator[Metric]:
        return iter(())


class _Timed:
    """A context manager as a class: a third of `contextlib.contextmanager`'s cost, on every turn."""

    __slots__ = ("began", "histogram")

    def __init__(self, histogram: Any) -> None:
        self.histogram = histogram
        self.began = 0.0

    def __enter__(self) -> None:
        self.began = time.perf_counter()

    def __exit__(self, kind: type[BaseException] | None, *_: object) -> None:
        if kind is None:
            self.histogram.observe(time.perf_counter() - self.began)


class Metrics:
    """The app's metrics (`bot.app_keys.METRICS`); `render` is the body of `GET /metrics`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages = Counter(
            "kundresa_messages",
            "Messages stored by this process, by channel: in from customers, out to them (bot and agents).",
            ["channel", "direction"],
            registry=r,
        )
        self.decisions = Counter(
            "kundresa_bot_decisions",
            "The bot's decision on a customer message (answer, clarify, handoff, say), by language.",
            ["kind", "lang"],
            registry=r,
        )
        self.handoffs = Counter(
            "kundresa_handoffs", "Conversations handed to a person, by reason.", ["reason"], registry=r
        )
        self.stages = Histogram(
            "kundresa_stage_seconds",
            "Latency of a chat turn's stages: " + ", ".join(STAGES) + ".",
            ["stage"],
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        self.model_batches = Histogram(
            "kundresa_model_batch_size",
            "Questions per encode call of the micro-batcher, by lane (0: the batching lane, others: spares).",
            ["lane"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.slack_api_errors = Counter(
            "kundresa_slack_api_errors",
            "Slack Web API calls that failed, by method and error (Slack's code, HTTP status, 'connection').",
            ["method", "error"],
            registry=r,
        )
        self.scraped = Scraped()
        r.register(self.scraped)
        self.gc_pauses = GCPauseHistogram()
        r.register(self.gc_pauses)
        # Children looked up once: `labels()` takes a lock and hashes the label values on every call.
        self._stage = {stage: self.stages.labels(stage) for stage in STAGES}
        self._lanes: dict[int, Any] = {}
        self._children: dict[tuple[str, str], Any] = {}  # decisions by (kind, lang)
        self._messages: dict[tuple[str, str], Any] = {}  # by (channel, direction)
        self.tickets: dict[str, int] = {}  # by status, counted before each scrape (bot/app_metrics.py)

    # -- events ------------------------------------------------------------------------------------------
    def observe(self, stage: str, seconds: float) -> None:
        self._stage[stage].observe(seconds)

    def timed(self, stage: str) -> _Timed:
        """`with metrics.timed("send"): …` observes how long the block took, when it completes (a
        cancelled search is no latency)."""
        return _Timed(self._stage[stage])

    def decision(self, kind: str, lang: str) -> None:
        key = (kind, lang or "unknown")
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.decisions.labels(*key)
        child.inc()

    def handoff(self, reason: str | None) -> None:
        self.handoffs.labels(reason or "unknown").inc()

    def model_batch(self, lane: int, size: int) -> None:
        """`knowledge.batching.MicroBatcher.on_batch`: one encode call of `size` questions on `lane`."""
        child = self._lanes.get(lane)
        if child is None:
            child = self._lanes[lane] = self.model_batches.labels(str(lane))
        child.observe(size)

    def slack_api_error(self, method: str, error: str) -> None:
        self.slack_api_errors.labels(method, error).inc()

    async def on_event(self, topic: str, data: dict[str, Any]) -> None:
        """A bus event of this process (`EventBus.bridge`: other processes' count there): a message."""
        if topic != "conversation" or data.get("internal"):
            return
        if data.get("author") == "customer":
            direction = "in"
        elif isinstance(data.get("frame"), dict):
            direction = "out"
        else:
            return
        key = (str(data.get("channel") or "web"), direction)
        child = self._messages.get(key)
        if child is None:
            child = self._messages[key] = self.messages.labels(*key)
        child.inc()

    def watch_bus(self, bus: Any) -> Callable[[], None]:
        """Count the messages `bus` carries that happened in this process; returns the detach function."""
        return bus.bridge(self.on_event)

    # -- scraping ----------------------------------------------------------------------------------------
    def render(self) -> bytes:
        return generate_latest(self.registry)
