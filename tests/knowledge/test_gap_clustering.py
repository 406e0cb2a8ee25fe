"""`knowledge.gap_clustering`: the lexical and combined similarity of gap questions, and greedy groups
around leaders (no chaining through near neighbours)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from knowledge.gap_clustering import GapItem, group_items, leader_groups, lexical_matrix, similarity_matrix

SIMILAR_A = "Kan jag betala med bitcoin?"
SIMILAR_B = "Går det att betala med bitcoin hos er?"
DIFFERENT = "Har ni en fysisk butik i Göteborg där man kan titta på soffor?"


def test_grouping_joins_swedish_paraphrases_and_keeps_other_questions_apart() -> None:
    texts = [SIMILAR_A, DIFFERENT, SIMILAR_B, "klarna säger nej till min delbetalning"]
    now = datetime.now(UTC)
    items = [GapItem(i, t, "no_answer", "web", now) for i, t in enumerate(texts)]
    # Vectors that know nothing: only the lexical signal can group these.
    vectors = np.eye(len(texts), 8, dtype=np.float32)
    groups = [[i.text for i in g] for g in group_items(items, vectors)]
    assert groups[0] == [SIMILAR_A, SIMILAR_B]
    assert sorted(groups[1:]) == [[DIFFERENT], ["klarna säger nej till min delbetalning"]]


def test_a_shared_rare_word_weighs_more_than_a_common_one() -> None:
    texts = ["betala med bitcoin", "bitcoin går det", "betala med kort", "betala med swish"]
    background = ["betala", "betala faktura", "betala med kort", "betala senare"]
    sim = lexical_matrix(texts, background)
    assert sim.shape == (4, 4) and np.allclose(np.diag(sim), 1.0)
    assert np.allclose(sim, sim.T)
    assert sim[0, 1] > sim[2, 3]  # "bitcoin" is rare; "betala" is everywhere


def test_a_prefix_matches_a_longer_word() -> None:
    sim = lexical_matrix(["garanti på soffan", "hur lång är garantin"])
    assert sim[0, 1] > 0.3


def test_the_same_text_is_always_the_same_question() -> None:
    sim = similarity_matrix(
        ["Var är mitt paket?", "  var är MITT paket? "], np.zeros((2, 0), dtype=np.float32)
    )
    assert sim[0, 1] == 1.0


def test_leaders_take_their_links_without_chaining() -> None:
    # 0 links 1 and 2; 2 links 3: the best-connected (0) leads {0, 1, 2}; 3 stays alone.
    sim = np.eye(4, dtype=np.float32)
    for a, b, v in ((0, 1, 0.9), (0, 2, 0.6), (2, 3, 0.8)):
        sim[a, b] = sim[b, a] = v
    assert leader_groups(sim, threshold=0.5) == [[0, 1, 2], [3]]
    assert leader_groups(np.eye(3, dtype=np.float32)) == [[0], [1], [2]]
