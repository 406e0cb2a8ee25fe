"""Lexical scores as sparse matrices: BM25 over Swedish + English stems, TF-IDF over character n-grams.

Both are built from per-article blocks of term counts over hashed columns (stable across articles), so one
article's texts can be swapped in or out without re-reading the others: assembling an index only stacks
the blocks and recomputes document frequencies, a few milliseconds for 10,000 texts.

BM25 is Lucene's (the default of `bm25s`, which it replaces here because `bm25s` cannot update an index;
tests/knowledge/test_lexical.py checks the scores are the same). Character n-grams (3–5 within words, on
lower-cased text with å/ä/ö folded) carry what stems miss: typos, missing diacritics and compounds
("leveransadressen", "presentkorts saldo").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer

from knowledge.text import fold, tokenize

__all__ = ["LexicalBlock", "LexicalIndex", "count_rows"]

_FEATURES = 1 << 20
K1, B = 1.5, 0.75

_words = HashingVectorizer(
    analyzer=tokenize, n_features=_FEATURES, alternate_sign=False, norm=None, dtype=np.float32
)
_chars = HashingVectorizer(
    analyzer="char_wb",
    ngram_range=(3, 5),
    preprocessor=fold,
    n_features=_FEATURES,
    alternate_sign=False,
    norm=None,
    dtype=np.float32,
)


@dataclass(frozen=True)
class LexicalBlock:
    """Term counts of some texts (one article's units): stems and character n-grams."""

    words: sp.csr_matrix
    chars: sp.csr_matrix


def count_rows(texts: Sequence[str]) -> LexicalBlock:
    return LexicalBlock(_words.transform(texts).tocsr(), _chars.transform(texts).tocsr())


def _df(counts: sp.csr_matrix) -> np.ndarray:
    return np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float32)


class LexicalIndex:
    """BM25 and character-n-gram cosine of a question against every unit, from stacked blocks."""

    def __init__(self, blocks: Sequence[LexicalBlock]) -> None:
        words = (
            sp.vstack([b.words for b in blocks], format="csr") if blocks else sp.csr_matrix((0, _FEATURES))
        )
        chars = (
            sp.vstack([b.chars for b in blocks], format="csr") if blocks else sp.csr_matrix((0, _FEATURES))
        )
        n = words.shape[0]
        self.size = n
        # BM25 weights per (unit, term), so a question's score is one sparse product.
        lengths = np.asarray(words.sum(axis=1)).ravel()
        avg = float(lengths.mean()) if n else 1.0
        df = _df(words)
        self.word_idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = K1 * (1 - B + B * lengths / max(avg, 1e-9))
        rows = np.repeat(np.arange(n), np.diff(words.indptr))
        tf = words.data
        data = self.word_idf[words.indices] * tf / (tf + norm[rows])  # Lucene: no (k1 + 1) factor
        # Column-major: a question touches a few columns.
        bm25 = sp.csr_matrix((data.astype(np.float32), words.indices, words.indptr), shape=words.shape)
        self.bm25 = bm25.tocsc()
        self.known_words = df > 0
        # Character n-grams: sublinear tf × smooth idf, rows L2-normalised (cosine).
        cdf = _df(chars)
        self.char_idf = (np.log((1 + n) / (1 + cdf)) + 1).astype(np.float32)
        cdata = (1 + np.log(chars.data)) * self.char_idf[chars.indices]
        tfidf = sp.csr_matrix((cdata.astype(np.float32), chars.indices, chars.indptr), shape=chars.shape)
        norms = np.sqrt(np.asarray(tfidf.multiply(tfidf).sum(axis=1)).ravel())
        tfidf = sp.diags(1 / np.maximum(norms, 1e-9)).astype(np.float32) @ tfidf
        self.chars = tfidf.tocsc()
        self.known_chars = cdf > 0

    def scores(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """(BM25 per unit, character-n-gram cosine per unit)."""
        if not self.size:
            empty = np.zeros(0, dtype=np.float32)
            return empty, empty
        q = count_rows([question])
        cols = q.words.indices[self.known_words[q.words.indices]]
        bm25 = (
            np.asarray(self.bm25[:, np.unique(cols)].sum(axis=1)).ravel().astype(np.float32)
            if len(cols)
            else np.zeros(self.size, dtype=np.float32)
        )
        c = q.chars
        keep = self.known_chars[c.indices]
        if not keep.any():
            return bm25, np.zeros(self.size, dtype=np.float32)
        idx = c.indices[keep]
        vals = (1 + np.log(c.data[keep])) * self.char_idf[idx]
        vals /= max(float(np.sqrt((vals * vals).sum())), 1e-9)
        char = self.chars[:, idx] @ vals
        return bm25, np.asarray(char, dtype=np.float32).ravel()
