"""The centroid signal (knowledge/index.py): 1 − ‖question − the mean of an article's unit vectors‖², with
units left out for leave-one-out calibration, kept current by `replace`, fused by its weight."""

from __future__ import annotations

import numpy as np

from knowledge.index import SearchIndex
from knowledge.index_blocks import IndexedArticle
from knowledge.scored import Fusion
from knowledge.text import text_hash

rng = np.random.default_rng(11)
DIM = 16


def unit(v: np.ndarray) -> np.ndarray:
    return (v / np.linalg.norm(v, axis=-1, keepdims=True)).astype(np.float32)


def build(sizes: list[int]) -> tuple[SearchIndex, dict[str, np.ndarray]]:
    articles, vectors = [], {}
    for i, n in enumerate(sizes):
        questions = tuple(f"q{i}-{j}" for j in range(n))
        articles.append(IndexedArticle(slug=f"a{i}", title=f"t{i}", questions=questions))
        centre = rng.normal(size=DIM)
        for text in (f"t{i}", *questions):
            vectors[text_hash(text)] = unit(centre + 0.5 * rng.normal(size=DIM))
    return SearchIndex.build(articles, vectors, DIM), vectors


def expected(index: SearchIndex, q: np.ndarray, keep: np.ndarray | None = None) -> np.ndarray:
    out = []
    for a in range(len(index)):
        rows = index.unit_article == a
        if keep is not None:
            rows &= keep
        centre = index.matrix[rows].astype(np.float64).mean(axis=0)
        out.append(1.0 - float(np.square(q - centre).sum()))
    return np.array(out)


def test_centroid_is_one_minus_the_squared_distance_to_the_mean_of_the_articles_units() -> None:
    index, _ = build([3, 5, 2])
    q = unit(rng.normal(size=DIM)).astype(np.float64)
    _, per, _ = index.signals("x", index.matrix @ q.astype(np.float32), Fusion())
    assert np.allclose(per["centroid"], expected(index, q), atol=1e-5)


def test_excluded_units_are_left_out_of_their_articles_centroid() -> None:
    index, _ = build([3, 5, 2])
    j = 6  # a question of the second article, asked as itself (leave-one-out)
    q = index.matrix[j].astype(np.float64)
    exclude = np.zeros(len(index.units), dtype=bool)
    exclude[j] = True
    _, per, _ = index.signals("x", index.matrix @ index.matrix[j], Fusion(), exclude)
    assert np.allclose(per["centroid"], expected(index, q, ~exclude), atol=1e-5)
    _, kept_in, _ = index.signals("x", index.matrix @ index.matrix[j], Fusion())
    assert per["centroid"][1] < kept_in["centroid"][1]  # without itself, its article's middle is farther


def test_replacing_an_article_updates_its_centroid() -> None:
    index, vectors = build([3, 4])
    changed = IndexedArticle(slug="a1", title="new", questions=("n1", "n2"))
    for text in ("new", "n1", "n2"):
        vectors[text_hash(text)] = unit(rng.normal(size=DIM))
    replaced = index.replace(set(), [changed], vectors)
    fresh = SearchIndex.build([index.articles[0], changed], vectors, DIM)
    assert np.allclose(replaced.centroid_norm2, fresh.centroid_norm2)
    q = unit(rng.normal(size=DIM))
    assert np.allclose(
        replaced.signals("x", replaced.matrix @ q, Fusion())[1]["centroid"],
        expected(fresh, q.astype(np.float64)),
        atol=1e-5,
    )


def test_the_centroid_weight_adds_the_signal_to_the_fused_score() -> None:
    index, _ = build([3, 4, 5])
    q = unit(rng.normal(size=DIM))
    plain, per, _ = index.signals("x", index.matrix @ q, Fusion(centroid_weight=0.0))
    with_it, _, _ = index.signals("x", index.matrix @ q, Fusion(centroid_weight=0.5))
    assert np.allclose(with_it - plain, 0.5 * per["centroid"], atol=1e-6)
    top = index.score(q, "x", fusion=Fusion(centroid_weight=0.5), limit=3)
    a = [x.slug for x in index.articles].index(top[0].slug)
    assert abs(top[0].centroid - float(per["centroid"][a])) < 1e-6
