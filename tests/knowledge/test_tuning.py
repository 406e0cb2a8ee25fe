"""`kb tune`'s core with the real (bundled MiniLM) model on six tiny articles: the tuned folder loads, the
pointer is written atomically, the Embedder uses the tuned model under its own cache id and falls back to
the base model (with a warning) on every kind of breakage, and tuning helps on held-out questions."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from config import ConfigError, ValidationError
from knowledge.embedder import BUNDLED_ID, Embedder, resolve_model
from knowledge.index_blocks import IndexedArticle
from knowledge.tuned_model import (
    MODELS_DIR,
    POINTER,
    Pointer,
    publish,
    read_pointer,
)
from knowledge.tuning import TuneOptions, distinct_label_batches, training_groups, tune
from tests.knowledge.tuning_helpers import bundled, log_says

ARTICLES = [
    IndexedArticle(
        "card-declined",
        "Card declined",
        lang="en",
        questions=(
            "Why was my card declined?",
            "My payment keeps getting rejected",
            "The shop refuses my Visa",
            "Transaction failed at checkout with my card",
        ),
    ),
    IndexedArticle(
        "delivery-time",
        "Delivery time",
        lang="en",
        questions=(
            "How long does shipping take?",
            "When will my parcel arrive?",
            "How many days until my order gets here?",
            "Expected delivery date",
        ),
    ),
    IndexedArticle(
        "refund",
        "Refunds",
        lang="en",
        questions=(
            "I want my money back",
            "How do I get reimbursed for a return?",
            "When is the refund paid out?",
            "Return an item and get paid back",
        ),
    ),
    IndexedArticle(
        "change-address",
        "Change the delivery address",
        lang="en",
        questions=(
            "I typed the wrong address",
            "Can you ship to another street?",
            "Update where my order is sent",
            "I moved, change my shipping details",
        ),
    ),
    IndexedArticle(
        "invoice",
        "Pay by invoice",
        lang="en",
        questions=(
            "Can I pay later with a bill?",
            "Do you send an invoice?",
            "Pay after delivery",
            "Buy now, pay in 30 days",
        ),
    ),
    IndexedArticle(
        "cancel",
        "Cancel an order",
        lang="en",
        questions=(
            "I regret my purchase, stop the order",
            "How do I cancel?",
            "Undo my order before it ships",
            "Withdraw my order please",
        ),
    ),
    IndexedArticle("draft", "Draft article", status="draft", questions=("never trained on",)),
]
HELD_OUT = [
    ("my visa got rejected when paying", "card-declined"),
    ("the payment with my card did not go through", "card-declined"),
    ("when does the package come", "delivery-time"),
    ("how fast is delivery", "delivery-time"),
    ("give me my money back for the returned shoes", "refund"),
    ("has my refund been paid", "refund"),
    ("wrong street name on my order", "change-address"),
    ("send it to my new address instead", "change-address"),
    ("can I get a bill and pay next month", "invoice"),
    ("pay with invoice", "invoice"),
    ("please cancel what I just ordered", "cancel"),
    ("I changed my mind, call off the order", "cancel"),
]
# One thread: on a busy machine (a parallel CI job) two threads each spinning on two cores crawl.
FAST = TuneOptions(epochs=3, learning_rate=1e-4, batch_size=8, threads=1)


def separation(path: str) -> tuple[float, float]:
    """On the held-out questions: nearest-example-question accuracy, and the mean margin between the best
    cosine with the right article's texts and the best with any other article's."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(path, device="cpu")
    groups = training_groups(ARTICLES)
    labels = [label for label, texts in groups.items() for _ in texts]
    units = model.encode([t for texts in groups.values() for t in texts], normalize_embeddings=True)
    asked = model.encode([q for q, _ in HELD_OUT], normalize_embeddings=True)
    sims = asked @ units.T
    right, margins = 0, []
    for row, (_, expected) in zip(sims, HELD_OUT, strict=True):
        same = np.array([label == expected for label in labels])
        right += labels[int(row.argmax())] == expected
        margins.append(row[same].max() - row[~same].max())
    return right / len(HELD_OUT), float(np.mean(margins))


@pytest.fixture(scope="module")
def tuned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Pointer]:
    """publish() into a fresh tuned_dir with the fast options."""
    tmp = tmp_path_factory.mktemp("tuned")
    pointer, report = publish(bundled(tmp), ARTICLES, options=FAST)
    assert report.articles == 6 and report.texts == 30  # the draft is left out
    return tmp, pointer


def test_training_groups_and_batches_keep_articles_apart() -> None:
    grouped = [*ARTICLES, IndexedArticle("card-declined-sv", "Kortet nekas", group="card-declined")]
    groups = training_groups(grouped, "query: ")
    assert "draft" not in groups and groups["card-declined"][-1] == "query: Kortet nekas"
    items = [(i % 3, i) for i in range(9)]
    for batch in distinct_label_batches(items, 2):
        assert len({label for label, _ in batch}) == len(batch) <= 2


def test_tuning_helps_on_held_out_questions(tuned: tuple[Path, Pointer]) -> None:
    tmp, pointer = tuned
    base_path, _ = resolve_model("bundled")
    base_acc, base_margin = separation(base_path)
    acc, margin = separation(str(tmp / MODELS_DIR / pointer.path))
    assert acc >= base_acc
    assert margin > base_margin + 0.02, (base_margin, margin)


def test_pointer_names_a_complete_folder(tuned: tuple[Path, Pointer]) -> None:
    tmp, _ = tuned
    models = tmp / MODELS_DIR
    data = json.loads((models / POINTER).read_text())
    assert set(data) == {"path", "base_model_id", "articles_hash", "created_at"}
    assert data["base_model_id"] == BUNDLED_ID and data["path"].startswith("tuned-")
    assert (models / data["path"] / "modules.json").is_file()
    assert [p.name for p in models.iterdir() if p.name.startswith(".")] == []  # no temp files left


def test_embedder_uses_the_tuned_model(tuned: tuple[Path, Pointer]) -> None:
    tmp, _ = tuned
    base = Embedder(bundled(None))
    emb = Embedder(bundled(tmp))
    assert emb.tuned is not None
    assert emb.model_id.startswith(BUNDLED_ID + "+tuned-") and emb.model_id != base.model_id
    assert emb.prefixes == base.prefixes
    a, b = emb.encode_sync(["Why was my card declined?"]), base.encode_sync(["Why was my card declined?"])
    assert float(a[0] @ b[0]) < 0.9999  # other weights, other vectors
    assert Embedder(bundled(tmp, tuned="off")).model_id == base.model_id


def test_crash_mid_tuning_keeps_the_old_model(
    tuned: tuple[Path, Pointer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src, pointer = tuned
    models = tmp_path / MODELS_DIR
    models.mkdir()
    (models / POINTER).write_text((src / MODELS_DIR / POINTER).read_text())

    def crash(*args: object, **kwargs: object) -> None:
        (args[2] / "half-written").write_text("x")  # type: ignore[operator]
        raise KeyboardInterrupt

    monkeypatch.setattr("knowledge.tuning.tune", crash)
    with pytest.raises(KeyboardInterrupt):
        publish(bundled(tmp_path), ARTICLES)
    assert read_pointer(models) == pointer
    assert list(models.iterdir()) == [models / POINTER]  # the half model was removed


def test_corrupt_model_folder_falls_back_when_loading(
    tuned: tuple[Path, Pointer], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import shutil

    src, pointer = tuned
    models = tmp_path / MODELS_DIR
    shutil.copytree(src / MODELS_DIR, models)
    weights = models / pointer.path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:1000])  # truncated
    emb = Embedder(bundled(tmp_path))
    assert emb.tuned is not None  # looks fine until it is loaded
    vec = emb.encode_sync(["Why was my card declined?"])
    assert vec.shape == (1, 384)
    assert emb.tuned is None and emb.model_id == BUNDLED_ID
    assert log_says(caplog, "cannot load the tuned model")


def test_nothing_to_tune_is_a_validation_error(tmp_path: Path) -> None:
    lonely = [IndexedArticle("a", "Only a title"), IndexedArticle("b", "B", questions=("b?",))]
    with pytest.raises(ValidationError, match="add example questions"):
        tune(resolve_model("bundled")[0], lonely, tmp_path / "out")
    with pytest.raises(ValidationError, match="recipe"):
        TuneOptions(recipe="magic")
    with pytest.raises(ConfigError, match="tuned_dir"):
        publish(bundled(None), ARTICLES)
