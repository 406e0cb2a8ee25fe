"""Articles, example questions, the embedding + lexical index, search and the answer decision."""

from knowledge.article_data import ArticleData
from knowledge.decision import SearchResult, decide
from knowledge.embedder import Embedder
from knowledge.index import SearchIndex
from knowledge.index_blocks import IndexedArticle
from knowledge.scored import ScoredArticle
from knowledge.service import KnowledgeBase
from knowledge.writes import ImportReport

__all__ = [
    "ArticleData",
    "Embedder",
    "ImportReport",
    "IndexedArticle",
    "KnowledgeBase",
    "ScoredArticle",
    "SearchIndex",
    "SearchResult",
    "decide",
]
