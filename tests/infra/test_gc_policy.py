"""The garbage collector's policy: applied once a real app has started, undone when it stops; pauses."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from bot.app import GC_POLICY, create_app
from config import Settings
from config.settings import GCSettings
from infra.gc_policy import NEVER, GCPauses, GCPolicy


async def test_the_policy_applies_once_the_app_has_started_and_is_undone_after(
    aiohttp_client: Any, settings: Settings
) -> None:
    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    wanted = settings.gc.model_copy(
        update={"gen0_threshold": 12_345, "gen1_threshold": 7, "gen2_threshold": 9}
    )
    client = await aiohttp_client(create_app(settings.model_copy(update={"gc": wanted})))
    assert gc.get_threshold() == (12_345, 7, 9)
    assert gc.get_freeze_count() > frozen_before  # the start-up heap: modules, settings, the index
    assert client.app[GC_POLICY].thresholds == (12_345, 7, 9)
    await client.close()
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen_before


async def test_the_setting_off_leaves_pythons_defaults(aiohttp_client: Any, settings: Settings) -> None:
    before, frozen_before = gc.get_threshold(), gc.get_freeze_count()
    off = settings.model_copy(update={"gc": GCSettings(enabled=False, gen0_threshold=50_000)})
    client = await aiohttp_client(create_app(off))
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == frozen_before
    await client.close()
    assert gc.get_threshold() == before


async def test_full_collections_on_a_clock_wait_for_a_quiet_moment() -> None:
    before = gc.get_threshold()
    asked: list[float] = []

    async def quiet(seconds: float) -> bool:
        asked.append(seconds)
        return True

    policy = GCPolicy(GCSettings(freeze=False, full_every_seconds=0.02), quiet=quiet)
    policy.apply()
    try:
        assert gc.get_threshold()[2] == NEVER  # no automatic full collection
        for _ in range(200):
            if policy.full_collections >= 2:
                break
            await asyncio.sleep(0.01)
        assert policy.full_collections >= 2
        assert asked and asked[0] == 0.02
    finally:
        await policy.restore()
    assert gc.get_threshold() == before


def test_pauses_are_reported_by_generation() -> None:
    seen: list[tuple[int, float]] = []
    pauses = GCPauses(lambda gen, seconds: seen.append((gen, seconds)))
    pauses.attach()
    pauses.attach()  # once only
    try:
        gc.collect(1)
        gc.collect()
    finally:
        pauses.detach()
    gc.collect()
    assert [gen for gen, _ in seen] == [1, 2]
    assert all(seconds >= 0 for _, seconds in seen)


async def test_metrics_show_the_pauses(app_client: Any) -> None:
    gc.collect()
    resp = await app_client.get("/metrics")
    samples = {
        (s.name, s.labels.get("generation"), s.labels.get("le")): s.value
        for family in text_string_to_metric_families(await resp.text())
        for s in family.samples
        if s.name.startswith("kundresa_gc_pause_seconds")
    }
    assert samples[("kundresa_gc_pause_seconds_count", "2", None)] >= 1
    assert samples[("kundresa_gc_pause_seconds_bucket", "2", "+Inf")] >= 1
    assert samples[("kundresa_gc_pause_seconds_sum", "2", None)] > 0


async def test_two_apps_in_one_process_the_last_to_stop_restores() -> None:
    before = gc.get_threshold()
    first, second = GCPolicy(GCSettings(gen0_threshold=5_000)), GCPolicy(GCSettings(gen0_threshold=9_000))
    first.apply()
    second.apply()
    assert gc.get_threshold()[0] == 5_000  # the first one's
    await first.restore()
    assert gc.get_threshold()[0] == 5_000  # the second still runs
    assert gc.get_freeze_count() > 0
    await second.restore()
    assert gc.get_threshold() == before
