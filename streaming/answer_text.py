"""The answer's text so far, and how much of it the user has seen in the current piece.

An answer is shown in pieces: one stream or message each, a new one when the channel's size or
time limit is near. A piece that starts inside a code block shows the block's opening fence first.
"""

from __future__ import annotations

from .markdown import readable_prefix, reopening_fence


class AnswerText:
    """The one owner of the answer's text and of where its current piece stands."""

    def __init__(self) -> None:
        self.text = ""
        self.piece_start = 0  # where the current stream or message begins in the text
        self.piece_lead = ""  # what the piece shows before its text: the code fence it reopens
        self.shown_end = 0  # how far the channel has accepted the current piece's text
        self.first_token_at: float | None = None
        self.unsent_since: float | None = None  # when text the user has not seen yet arrived

    def append(self, delta: str, now: float) -> None:
        """Add the next piece of the model's text, which arrived at `now`."""
        self.text += delta
        if self.unsent_since is None:
            self.unsent_since = now
            if self.first_token_at is None:
                self.first_token_at = now

    def piece_text(self, end: int) -> str:
        """What the current piece shows of the answer up to `end`."""
        return self.piece_lead + self.text[self.piece_start : end]

    def readable_end(self, allowed_end: int) -> int:
        """How far the current piece can be shown without rendering wrongly, at most `allowed_end`."""
        readable = readable_prefix(self.piece_text(len(self.text)))
        return min(self.piece_start + max(len(readable) - len(self.piece_lead), 0), allowed_end)

    def shown(self, end: int, sent_at: float) -> None:
        """The channel accepted the current piece up to `end`, sent at `sent_at`."""
        self.shown_end = end
        self.unsent_since = None if end == len(self.text) else sent_at

    def open_piece(self, start: int) -> None:
        """Go on at `start` in a new stream or message, reopening the code fence `start` is in."""
        self.piece_lead = reopening_fence(self.piece_text(start))
        self.piece_start = self.shown_end = start

    def cut(self, end: int) -> None:
        """Drop the text from `end` on: it must not reach the user."""
        self.text = self.text[:end]
