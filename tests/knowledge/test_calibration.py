"""knowledge/calibration.py's own parts: the logistic fit on feature rows, the confidence it gives, what it
refuses to fit, and the bundled out-of-scope questions (calibrating a real index end to end:
test_head.py)."""

from __future__ import annotations

import numpy as np

from knowledge.calibration import FEATURES, fit, out_of_scope_questions


def rows(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Right answers have high scores, wrong ones low, with some overlap."""
    rng = np.random.default_rng(seed)
    right = np.arange(n) % 2 == 0
    x = np.where(right[:, None], 0.7, 0.4) + 0.1 * rng.normal(size=(n, len(FEATURES)))
    return x, right


def test_confidence_is_a_probability_that_rises_with_the_scores() -> None:
    x, right = rows(200)
    calibration = fit(x, right, 150, 50)
    assert calibration is not None and (calibration.n_in_scope, calibration.n_out_of_scope) == (150, 50)
    low, mid, high = (calibration.confidence(np.full(len(FEATURES), v)) for v in (0.3, 0.55, 0.8))
    assert 0.0 < low < mid < high < 1.0
    assert low < 0.1 and high > 0.9
    assert (calibration.weights > 0).all()  # each feature speaks for a right answer here


def test_to_json_names_the_features_and_rounds() -> None:
    calibration = fit(*rows(50), 40, 10)
    assert calibration is not None
    data = calibration.to_json()
    assert data["features"] == ["score", "dense", "passage", "centroid"]
    assert len(data["weights"]) == len(FEATURES)  # type: ignore[arg-type]
    assert all(round(w, 4) == w for w in data["weights"])  # type: ignore[attr-defined]


def test_too_few_rows_or_one_kind_only_is_not_fitted() -> None:
    x, right = rows(200)
    assert fit(x[:9], right[:9], 9, 0) is None
    assert fit(x, np.ones(200, dtype=bool), 200, 0) is None  # nothing wrong to learn from
    assert fit(x, np.arange(200) < 2, 2, 198) is None  # only two right answers


def test_a_constant_feature_does_not_divide_by_zero() -> None:
    x, right = rows(100)
    x[:, 2] = 0.5
    calibration = fit(x, right, 100, 0)
    assert calibration is not None and calibration.scale[2] == 1.0
    assert 0.0 < calibration.confidence(np.array([0.7, 0.7, 0.5, 0.7])) <= 1.0


def test_the_bundled_out_of_scope_questions() -> None:
    questions = out_of_scope_questions()
    assert len(questions) >= 20 and len(set(questions)) == len(questions)
    assert not [q for q in questions if q.startswith("#") or not q.strip()]
