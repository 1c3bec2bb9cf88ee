"""The Markdown and text files of a knowledge folder: which there are, whether any changed, their passages.

A listing is the files' paths with their modification times and sizes, so comparing two listings tells
whether to index again without reading a file. Hidden files and folders are left out; files too large
to be documentation, and files beyond a folder's limit, are listed (so their changes are seen) but not
read, with a warning each time the folder is indexed.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from .passages import Passage, split_document

logger = logging.getLogger(__name__)

SUFFIXES = (".md", ".markdown", ".txt")
MAX_FILE_BYTES = 2_000_000
MAX_FILES = 10_000
"""Bounds on what one folder may cost to index and hold in memory."""

Listing = tuple[tuple[str, int, int], ...]
"""(path relative to the folder with "/" between folders, mtime in ns, size in bytes), sorted by path."""


def list_files(directory: Path) -> Listing:
    """The folder's documents as they are now; empty if the folder does not exist."""
    found: list[tuple[str, int, int]] = []
    for root, folders, names in os.walk(directory):
        folders[:] = [folder for folder in folders if not folder.startswith(".")]
        for name in names:
            if name.startswith(".") or not name.lower().endswith(SUFFIXES):
                continue
            path = Path(root, name)
            try:
                status = path.stat()
            except OSError:
                continue  # removed since the folder was read, or a broken link
            # Regular files only: reading a named pipe would wait forever.
            if stat.S_ISREG(status.st_mode):
                found.append((path.relative_to(directory).as_posix(), status.st_mtime_ns, status.st_size))
    return tuple(sorted(found))


def read_passages(directory: Path, listing: Listing) -> list[Passage]:
    """The passages of the listed documents that are within the limits and can still be read."""
    if len(listing) > MAX_FILES:
        logger.warning(
            "knowledge: %s holds %d documents; only the first %d are indexed",
            directory,
            len(listing),
            MAX_FILES,
        )
    passages: list[Passage] = []
    for relative, _, size in listing[:MAX_FILES]:
        if size > MAX_FILE_BYTES:
            logger.warning("knowledge: %s is over %d bytes and is not indexed", relative, MAX_FILE_BYTES)
            continue
        try:
            text = (directory / relative).read_text(encoding="utf-8", errors="replace")
        except OSError as error:
            logger.warning("knowledge: cannot read %s: %s", relative, error)
            continue
        passages.extend(split_document(relative, text))
    return passages
