"""Knowledge search, with no SDK: the `search_knowledge` tool, over any `Retriever`.

The built-in `Fts5Retriever` indexes the Markdown and text files of a folder (`KNOWLEDGE_DIR`, by
default the project's own `docs/knowledge/`) with SQLite FTS5 and ranks passages by BM25; another
source, such as Azure AI Search, plugs in behind the same `Retriever` interface.
"""

from .fts5_retriever import Fts5Retriever
from .knowledge_tool import KnowledgeTool
from .retriever import Retriever, RetrieverUnavailable
from .settings import KnowledgeSettings

__all__ = ["Fts5Retriever", "KnowledgeSettings", "KnowledgeTool", "Retriever", "RetrieverUnavailable"]
