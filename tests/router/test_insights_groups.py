"""router/insights_groups.py's own parts with synthetic vectors: which questions are linked (close vectors,
shared words, mutual nearest across languages) and a group as `/api/insights` shows it (grouping real
questions with the real model through the app: test_insights.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from router.insights_groups import LINK, Question, group_json, link_matrix

rng = np.random.default_rng(3)


def unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_close_vectors_or_shared_words_link_and_others_do_not() -> None:
    a = unit(rng.normal(size=32))
    far = unit(rng.normal(size=32))
    close = unit(a + 0.05 * rng.normal(size=32))
    texts = ["qqq www eee", "rrr ttt yyy", "uuu iii ooo", "ppp aaa sss"]
    vectors = np.stack([a, close, far, unit(rng.normal(size=32))])
    sim = link_matrix(texts, vectors, None, ["sv"] * 4)
    assert float(unit(a) @ close) >= LINK
    assert sim[0, 1] == sim[1, 0] == 1.0 and sim[0, 2] < 1.0 and np.all(np.diag(sim) == 1.0)
    same_words = link_matrix(
        ["min order kom aldrig fram", "min order kom aldrig"], np.stack([a, far]), None, ["sv", "sv"]
    )
    assert same_words[0, 1] == 1.0  # the words link what the vectors do not


def test_mutual_nearest_questions_across_languages_link() -> None:
    sv = [unit(rng.normal(size=32)) for _ in range(3)]

    def at_cosine(v: np.ndarray, cos: float) -> np.ndarray:
        other = unit(rng.normal(size=32))
        other = unit(other - (other @ v) * v)  # orthogonal to v
        return unit(cos * v + np.sqrt(1 - cos**2) * other)

    en = [at_cosine(v, 0.45) for v in sv]  # under LINK, over MUTUAL: only being each other's nearest links
    texts = ["aaa bbb", "ccc ddd", "eee fff", "ggg hhh", "iii jjj", "kkk lll"]
    sim = link_matrix(texts, np.stack(sv + en), None, ["sv"] * 3 + ["en"] * 3)
    pairs = {(i, j) for i in range(3) for j in range(3, 6) if sim[i, j] == 1.0}
    assert pairs == {(0, 3), (1, 4), (2, 5)}
    same_language = link_matrix(texts[:2], np.stack([sv[0], en[0]]), None, ["sv", "sv"])
    assert same_language[0, 1] < 1.0  # within one language 0.45 is not close enough


def test_group_json_names_its_leader_languages_and_draft() -> None:
    at = datetime(2026, 3, 2, 10, tzinfo=UTC)
    group = [
        Question(1, "Kan jag betala med bitcoin?", "handoff", at, conversation_id=5),
        Question(2, "Tar ni bitcoin?", "handoff", at.replace(hour=12), conversation_id=5),
        Question(3, "Kan jag betala med bitcoin?", "not_helpful", at.replace(hour=9)),
    ]
    data = group_json(group)
    assert (data["size"], data["representative"], data["ids"], data["conversations"]) == (
        3, "Kan jag betala med bitcoin?", [1, 2, 3], 1,
    )  # fmt: skip
    assert data["first_seen"].startswith("2026-03-02T09") and data["last_seen"].startswith("2026-03-02T12")
    assert data["draft"]["status"] == "draft" and data["draft"]["questions"] == [
        "Kan jag betala med bitcoin?",
        "Tar ni bitcoin?",
    ]
