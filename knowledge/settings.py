"""Knowledge search settings: which folder the bot searches, and where its documents can be read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnowledgeSettings:
    """`directory` is searched; "" turns knowledge search off. `base_url`, when set, is where citations
    link: the document's path relative to the folder, and its heading's anchor, are added to it."""

    directory: str = "docs/knowledge"
    base_url: str = ""

    @property
    def enabled(self) -> bool:
        return bool(self.directory)
