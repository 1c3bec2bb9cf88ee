"""Separates reasoning that a server leaves in the answer's text, in a leading <think> block."""

from __future__ import annotations

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


class LeadingThinkBlock:
    """Takes the answer's text delta by delta and drops a `<think>…</think>` block at its start.

    A server that runs a reasoning model without a reasoning parser (Ollama before it learnt
    `think`, vLLM without `--reasoning-parser`) streams the model's reasoning as content inside
    such a block (DeepSeek-R1, Qwen3). A tag may be split across deltas, so text that may still
    become a tag is held until it is clear. Once the block is over, or the answer did not start
    with one, `settled` is set and text is only passed through.
    """

    def __init__(self) -> None:
        self._held = ""
        self._inside = False
        self._closed = False
        self.settled = False
        """Whatever comes now is answer text."""
        self.reasoned = False
        """The last `feed` was reasoning (or part of a tag), not answer text."""

    def feed(self, text: str) -> str:
        """The answer text in `text`, which follows what was fed before; reasoning is dropped."""
        text = self._held + text
        self._held = ""
        self.reasoned = False
        if self._closed:
            return self._after_block(text)
        if self._inside:
            return self._inside_block(text)
        stripped = text.lstrip()
        if stripped.startswith(OPEN_TAG):
            self._inside = True
            return self._inside_block(stripped[len(OPEN_TAG) :])
        if OPEN_TAG.startswith(stripped):  # Blank so far, or the start of the tag: not clear yet.
            self._held = text
            self.reasoned = bool(stripped)
            return ""
        self.settled = True
        return text

    def rest(self) -> str:
        """What is still held when the answer ends: answer text unless it was reasoning."""
        held, self._held = self._held, ""
        return "" if self._inside else held

    def _inside_block(self, text: str) -> str:
        self.reasoned = True
        end = text.find(CLOSE_TAG)
        if end < 0:
            self._held = text[len(text) - _tag_start_at_end(text) :]
            return ""
        self._inside = False
        self._closed = True
        return self._after_block(text[end + len(CLOSE_TAG) :])

    def _after_block(self, text: str) -> str:
        """The answer after the block, without the blank lines that separate it from the block."""
        answer = text.lstrip()
        self.settled = bool(answer)
        return answer


def _tag_start_at_end(text: str) -> int:
    """How many characters at the end of `text` may be the start of the closing tag."""
    for size in range(min(len(CLOSE_TAG) - 1, len(text)), 0, -1):
        if CLOSE_TAG.startswith(text[-size:]):
            return size
    return 0
