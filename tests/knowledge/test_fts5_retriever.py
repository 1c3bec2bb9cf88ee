"""The built-in retriever: built in the background, not ready until then, rebuilt when files change."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from knowledge import Fts5Retriever, RetrieverUnavailable
from knowledge.knowledge_files import MAX_FILE_BYTES


@pytest.fixture
async def open_retriever() -> AsyncIterator[Callable[..., Fts5Retriever]]:
    """Fts5Retriever(...), closed at the end of the test."""
    made: list[Fts5Retriever] = []

    def make(directory: Path, **options: object) -> Fts5Retriever:
        retriever = Fts5Retriever(directory, **options)  # type: ignore[arg-type]
        made.append(retriever)
        return retriever

    yield make
    for retriever in made:
        retriever.close()


async def names(retriever: Fts5Retriever, query: str) -> list[str]:
    return [source.name for source in await retriever.search(query, 5)]


async def test_searches_say_not_ready_at_once_while_the_index_builds_off_the_event_loop(
    tmp_path: Path, open_retriever: Callable[..., Fts5Retriever]
) -> None:
    paragraph = " ".join(f"word{n} lorem ipsum dolor sit amet" for n in range(40))
    document = "# Manual\n\n" + "".join(f"## Part {n}\n\n{paragraph}\n\n{paragraph}\n\n" for n in range(30))
    for number in range(60):
        (tmp_path / f"manual-{number}.md").write_text(document)
    (tmp_path / "needle.md").write_text("# Needle\n\nThe haystack hides a needle.")
    retriever = open_retriever(tmp_path)

    # start() returns before the build is done, and a search says so instead of waiting for it.
    retriever.start()
    assert not retriever.ready
    with pytest.raises(RetrieverUnavailable, match="still being indexed"):
        await retriever.search("needle", 5)

    # The event loop keeps running while the builder works: many turns of it, not one long wait.
    turns = 0
    while not retriever.ready:
        await asyncio.sleep(0.005)
        turns += 1
    assert turns >= 10, turns
    assert await names(retriever, "needle") == ["Needle"]


async def test_an_edited_added_or_removed_file_is_indexed_again(
    tmp_path: Path, open_retriever: Callable[..., Fts5Retriever]
) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text("# Guide\n\nUse Redis for state.")
    retriever = open_retriever(tmp_path)
    await retriever.wait_ready()
    assert await names(retriever, "redis") == ["Guide"]
    assert await retriever.refresh() is False  # nothing changed

    guide.write_text("# Guide\n\nUse Azure Blob Storage for state.")
    assert await retriever.refresh() is True
    assert await names(retriever, "redis") == []
    assert await names(retriever, "blob") == ["Guide"]

    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "faq.txt").write_text("Blob containers are created if missing.")
    assert await retriever.refresh() is True
    assert sorted(await names(retriever, "blob")) == ["Faq", "Guide"]

    guide.unlink()
    assert await retriever.refresh() is True
    assert await names(retriever, "blob") == ["Faq"]


async def test_a_search_looks_for_changed_files_at_most_once_an_interval(
    tmp_path: Path, open_retriever: Callable[..., Fts5Retriever]
) -> None:
    guide = tmp_path / "guide.md"
    guide.write_text("# Guide\n\nFirst version.")
    now = [0.0]
    retriever = open_retriever(tmp_path, refresh_interval=10.0, clock=lambda: now[0])
    await retriever.wait_ready()

    guide.write_text("# Guide\n\nSecond version, longer.")
    now[0] = 9.0
    assert await names(retriever, "second") == []  # not due: no check was made...
    assert await retriever.refresh() is True  # ...so this one finds the change

    guide.write_text("# Guide\n\nThird version, longer still.")
    now[0] = 10.0
    await retriever.search("third", 5)  # due: the search has the builder look, and answers meanwhile
    assert await retriever.refresh() is False  # the search's check had already rebuilt the index
    assert await names(retriever, "third") == ["Guide"]


async def test_a_missing_folder_is_an_empty_knowledge_base_until_it_appears(
    tmp_path: Path, open_retriever: Callable[..., Fts5Retriever], caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "absent"
    retriever = open_retriever(folder)
    with caplog.at_level(logging.WARNING, logger="knowledge"):
        await retriever.wait_ready()
    assert retriever.ready and await names(retriever, "anything") == []
    assert f"{folder} is not a folder" in caplog.text

    folder.mkdir()
    (folder / "new.md").write_text("# New\n\nAnything at all.")
    assert await retriever.refresh() is True
    assert await names(retriever, "anything") == ["New"]


async def test_only_visible_regular_markdown_and_text_files_within_the_size_limit_are_read(
    tmp_path: Path, open_retriever: Callable[..., Fts5Retriever], caplog: pytest.LogCaptureFixture
) -> None:
    for path in ["doc.md", "doc.markdown", "doc.txt", ".hidden.md", ".git/doc.md", "doc.html", "doc.py"]:
        (tmp_path / path).parent.mkdir(exist_ok=True)
        (tmp_path / path).write_text("findme")
    (tmp_path / "huge.md").write_text("findme " * (MAX_FILE_BYTES // 7 + 1))
    os.mkfifo(tmp_path / "pipe.md")  # reading it would wait forever
    retriever = open_retriever(tmp_path)
    with caplog.at_level(logging.WARNING, logger="knowledge"):
        await retriever.wait_ready()
    assert sorted(await names(retriever, "findme")) == ["Doc", "Doc", "Doc"]
    assert f"huge.md is over {MAX_FILE_BYTES} bytes" in caplog.text


async def test_sources_are_named_after_document_and_heading_and_link_there(
    tmp_path: Path, open_retriever: Callable[..., Fts5Retriever]
) -> None:
    (tmp_path / "ops").mkdir()
    (tmp_path / "ops" / "scale out.md").write_text(
        "# Running several instances\n\nIntro on scaling.\n\n## Share the state\n\nScaling needs Redis.\n\n"
        f"## {'A very long heading about scaling ' * 3}\n\nMore scaling."
    )
    plain = open_retriever(tmp_path)
    linked = open_retriever(tmp_path, base_url="https://github.com/o/r/blob/main/docs/knowledge/")
    await plain.wait_ready()
    await linked.wait_ready()

    sources = await plain.search("scaling", 5)
    assert {source.url for source in sources} == {None}
    by_text = {source.passage: source for source in await linked.search("scaling", 5)}
    assert by_text["Intro on scaling."].name == "Running several instances"
    assert by_text["Intro on scaling."].url == (
        "https://github.com/o/r/blob/main/docs/knowledge/ops/scale%20out.md#running-several-instances"
    )
    assert by_text["Scaling needs Redis."].name == "Running several instances: Share the state"
    assert by_text["Scaling needs Redis."].url.endswith("/ops/scale%20out.md#share-the-state")
    long_name = by_text["More scaling."].name
    assert len(long_name) <= 80 and long_name.endswith("…")


async def test_a_closed_retriever_is_unavailable(
    tmp_path: Path, open_retriever: Callable[..., Fts5Retriever]
) -> None:
    (tmp_path / "a.md").write_text("# A\n\nText.")
    retriever = open_retriever(tmp_path)
    await retriever.wait_ready()
    retriever.close()
    assert not retriever.ready
    with pytest.raises(RetrieverUnavailable, match="shut down"):
        await retriever.search("text", 5)
