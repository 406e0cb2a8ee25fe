"""`Calibrator` over a real `KnowledgeBase`: a fit per index, off by setting, one background fit at a time."""

from __future__ import annotations

from collections.abc import Callable

from config import Settings
from infra.db import create_engine, create_sessionmaker
from infra.migrate import upgrade
from knowledge import Embedder, KnowledgeBase
from tests.knowledge.sample_articles import articles


async def test_the_index_gets_a_calibration_after_each_change(kb: KnowledgeBase) -> None:
    await kb.import_articles(articles())  # waits for its calibration
    first = kb.calibration
    assert (first is not None) == kb.settings.calibrate
    await kb.add_question("swish", "Can I pay with my phone?")
    await kb.calibrated()
    assert kb.calibration is not None or not kb.settings.calibrate
    # Several changes in a row: one fit runs, one more follows, and the last index is the one calibrated.
    for i in range(3):
        await kb.add_question("returns", f"Return question {i}?")
    await kb.calibrated()
    assert kb.calibrator._calibrating is not None and kb.calibrator._calibrating.done()


async def test_calibration_off_by_setting(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings()
    search = settings.search.model_copy(update={"calibrate": False})
    engine = create_engine(settings.database)
    embedder = Embedder(settings.model)
    try:
        await upgrade(engine)
        await embedder.start()
        kb = KnowledgeBase(create_sessionmaker(engine), embedder, search)
        await kb.import_articles(articles())
        assert kb.calibration is None
        result = await kb.search("Can I pay with Swish?")
        assert not result.calibrated
        await kb.close()
    finally:
        await embedder.close()
        await engine.dispose()


async def test_an_unchanged_index_reuses_its_fit_and_any_change_refits(kb: KnowledgeBase) -> None:
    """`fit_key` digests what the fit reads: the same content (another app in this process, a reindex
    that changed nothing) reuses the fit; a new question, a status or the settings give another key."""
    from knowledge import calibration_service as service

    await kb.import_articles(articles())
    assert kb.calibration is not None
    oos = await kb.calibrator._out_of_scope()
    key = service.fit_key(kb.index, kb.settings, oos)
    fitted = kb.calibration
    assert service._FITS[key] is fitted
    await kb.refresh()  # the same articles read again: a new index object, the same content
    assert kb.calibration is fitted
    await kb.add_question("swish", "Kan jag betala med mobilen?")
    await kb.calibrated()
    assert service.fit_key(kb.index, kb.settings, oos) != key
    assert kb.calibration is not fitted
    other = kb.settings.model_copy(update={"passage_weight": kb.settings.passage_weight + 0.1})
    assert service.fit_key(kb.index, other, oos) != service.fit_key(kb.index, kb.settings, oos)
    assert service.fit_key(kb.index, kb.settings, oos[:-1]) != service.fit_key(kb.index, kb.settings, oos)
