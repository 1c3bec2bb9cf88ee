"""What of a partial Markdown answer may be shown, and where a long one is split.

First the functions, then what the bot sends: it runs on loopback against a local streaming model
server and the recording Teams-like connector, as in test_channel_sequences.py.
"""

from __future__ import annotations

import re
import time
from itertools import pairwise

import pytest

from streaming.markdown import (
    HOLD_LIMIT,
    closing_fence,
    readable_prefix,
    reopening_fence,
    split_piece,
    split_point,
    utf16_length,
)
from tests.conftest import StartBot
from tests.support.activities import user_message
from tests.support.connector import RecordingConnector, is_final, is_stream_update
from tests.support.model_server import ModelServer

HELD_BACK = [
    # Emphasis, strikethrough, code spans and links that are not closed yet.
    ("**No", ""),
    ("**", ""),
    ("Hello **wor", "Hello "),
    ("Hello **", "Hello "),
    ("Say *hi", "Say "),
    ("Say _hi", "Say "),
    ("**a** **b", "**a** "),
    ("**bold _it", ""),
    ("*a **b**", ""),
    ("(_a", "("),
    ("~~strike", ""),
    ("text *", "text "),
    ("run `x` and `y", "run `x` and "),
    ("`code", ""),
    ("``a ` b", ""),
    ("see [the docs", "see "),
    ("see [the docs]", "see "),
    ("see [the docs](https://ex", "see "),
    ('see [the docs](https://ex.com "Ti', "see "),
    ("![chart](chart.pn", ""),
    ("[a](not a link) **b", "[a](not a link) "),
    # A last line that may yet become a heading, list item, rule or fence.
    ("#", ""),
    ("Intro\n## ", "Intro\n"),
    ("text\n-", "text\n"),
    ("text\n---", "text\n"),
    ("Title\n=", "Title\n"),
    ("Intro\n1.", "Intro\n"),
    ("Intro\n``", "Intro\n"),
    ("- **Note", ""),  # `- ` left alone would be an empty list item
    ("1. **Install**\n2. **Run", "1. **Install**\n"),
    ("> **Note", ""),
    # Code fences and table rows (held back before inline markers were).
    ("```python\nprint(1)", ""),
    ("Here:\n\n```python\nx = 1\n", "Here:\n\n"),
    ("```py\ncode\n```\n\n**b", "```py\ncode\n```\n\n"),
    ("1. Run:\n   ```bash\n   ls", "1. Run:\n"),
    ("| a | b", ""),
    ("| a | b |\n|--", "| a | b |\n"),
]

SHOWN = [
    # Closed.
    "Hello **world**",
    "Hello **world** and",
    "**Step 1:** Do *this*",
    "*a **b***",
    "***a***",
    "“*quoted*”",
    "~~old~~ new",
    "Use `a*b` here",
    "``a ` b``",
    "see [the docs](https://ex.com)",
    "Visit [site](http://a.com/x_(y)) now",
    "see [the docs] and more",
    # Not emphasis: bullets, words with underscores, arithmetic, escapes, code.
    "* item",
    "- one\n* tw",
    "snake_case",
    "snake_",
    "use snake_case_names and __init__ here",
    "2 * 3 = 6",
    "2 * 3",
    "2*3 is six",
    "Price: $5 * 2",
    "a ~ b",
    "\\*not emphasis",
    "a \\`tick",
    "Use `**` for bold",
    "https://example.com/a_b_c",
    "```a``` is inline code",
    "```py\n*a `b\n```\n\nok",
    "- [ ] task",
    # Blocks end an open marker: a paragraph, a list item, a heading, a table row.
    "**a\n\nb",
    "- a *b\n- c",
    "# Title *x\nmore",
    "| a *b | c |\n\nx",
    "## Tit",
    "text\n- a",
    "Intro\n1. Fi",
]


@pytest.mark.parametrize(("partial", "readable"), HELD_BACK)
def test_what_would_render_wrongly_is_held_back(partial: str, readable: str) -> None:
    assert readable_prefix(partial) == readable


@pytest.mark.parametrize("partial", SHOWN)
def test_what_renders_as_it_will_is_shown(partial: str) -> None:
    assert readable_prefix(partial) == partial


def test_a_marker_open_for_long_is_taken_for_text() -> None:
    # A literal `*` in prose must not freeze the bubble until the answer ends.
    opened = "A literal *"
    assert readable_prefix(opened + "x" * (HOLD_LIMIT - 20)) == "A literal "
    assert readable_prefix(opened + "x" * HOLD_LIMIT) == opened + "x" * HOLD_LIMIT
    # The next marker is held back again.
    later = opened + "x" * HOLD_LIMIT + " then **bo"
    assert readable_prefix(later) == later.removesuffix("**bo")


ANSWER = """## Setting up the *service*

Here is **why** it matters: the `config.yaml` file holds the [settings](https://example.com/docs_(v2)),
and `max_retries` keeps 2 * 3 = 6 retries; ~~old~~ new. Call __init__ first.

- **First**: install it with `pip install thing`
- **Second**: run it

| option | meaning |
|---|---|
| `timeout` | **seconds** to wait |

```python
def handler(event):
    # a *comment* with ``ticks`` and **stars
    return event["x_y"]
```

Done, *really*.
"""


def outside_code(text: str) -> str:
    """`text` less its closed code blocks."""
    return re.sub(r"```python\n.*?```(\n|$)", "", text, flags=re.DOTALL)


def test_no_prefix_of_an_answer_shows_an_unbalanced_marker() -> None:
    for end in range(len(ANSWER) + 1):
        readable = readable_prefix(ANSWER[:end])
        assert ANSWER.startswith(readable)
        assert readable_prefix(readable) == readable, f"not stable at {end}: {readable!r}"
        prose = outside_code(readable)
        assert "```" not in prose, f"an open fence at {end}: {readable!r}"
        assert prose.count("**") % 2 == 0, f"unbalanced bold at {end}: {readable!r}"
        assert prose.count("`") % 2 == 0, f"unbalanced code at {end}: {readable!r}"
        assert prose.count("[") == prose.count("]") == prose.count("]("), f"open link at {end}: {readable!r}"
    assert readable_prefix(ANSWER) == ANSWER


def test_each_update_costs_little_however_long_the_answer() -> None:
    # About 12k characters, read 300 times as it grows: about 20 ms in all here.
    answer = (ANSWER * 20)[:12_000]
    started = time.perf_counter()
    for end in range(40, len(answer) + 1, 40):
        readable_prefix(answer[:end])
    assert time.perf_counter() - started < 1.0


CODE = "".join(f"value_{number} = compute({number})\n" for number in range(40))
CODE_ANSWER = f"Here is the code:\n\n```python\n{CODE}```\n\nThat is all."


def pieces(answer: str, limit: int) -> list[str]:
    """Split `answer` as the answer stream does, closing and reopening code fences."""
    result, lead, start = [], "", 0
    while utf16_length(lead + answer[start:]) > limit:
        piece = split_piece(lead, answer[start:], 0, limit)
        result.append(lead + answer[start : start + piece.end] + piece.closing)
        lead = reopening_fence(lead + answer[start : start + piece.end])
        start += piece.end
    return [*result, lead + answer[start:]]


def without_added_fences(pieces: list[str]) -> str:
    """The pieces joined, less the fence lines added where a code block was split between two."""
    text = pieces[0]
    for previous, piece in pairwise(pieces):
        if previous.endswith("```") and piece.startswith("```python\n"):
            text = text.removesuffix("```")
            piece = piece.removeprefix("```python\n")
        text += piece
    return text


def test_code_split_across_pieces_is_closed_and_reopened_in_each() -> None:
    split = pieces(CODE_ANSWER, 200)
    assert split[0] == "Here is the code:\n\n"  # the paragraph break before the fence is preferred
    assert split[-1] == "That is all."
    code = split[1:-1]
    assert len(code) >= 4
    for piece in code:
        assert utf16_length(piece) <= 200
        assert piece.startswith("```python\n")
        assert len(re.findall(r"^```", piece, flags=re.MULTILINE)) == 2, piece
    assert without_added_fences(split) == CODE_ANSWER


@pytest.mark.parametrize(("lead", "text"), [("", "```\n" + "ab\n" * 40), ("```\n", "ab\n" * 40 + "```\n")])
def test_the_lead_and_the_closing_fence_fit_in_the_limit(lead: str, text: str) -> None:
    for limit in range(12, 80):
        piece = split_piece(lead, text, 0, limit)
        assert piece.closing == "```"
        assert utf16_length(lead + text[: piece.end] + piece.closing) <= limit
        assert piece.end > 0


def test_a_piece_goes_on_at_least_one_character_when_its_lead_leaves_no_room() -> None:
    assert split_piece("```python\n", "x = 1\n```\n", 0, 12) == (1, "\n```")


def test_a_split_keeps_what_the_user_has_seen() -> None:
    # The last space within the limit is before what was seen: the cut goes after it, mid-word.
    assert split_piece("", "one two three " + "x" * 40, 20, 30).end == 30


def test_a_split_right_where_the_seen_text_ends_keeps_the_next_word_whole() -> None:
    # Seen text tends to end before a space: the next token starts with one.
    assert split_piece("", " w0 w1 w2 w3 w4 w5 w6 w7", 18, 20).end == 19


def test_a_split_prefers_the_paragraph_break_before_a_table() -> None:
    rows = "".join(f"| {number} | {number * 2} |\n" for number in range(10))
    text = f"Some words first.\n\n| n | double |\n|---|---|\n{rows}\nAfter."
    assert text[: split_point(text, 0, 60)] == "Some words first.\n\n"


def test_a_split_inside_one_big_block_falls_back_to_a_line_break() -> None:
    rows = "".join(f"| {number} | {number * 2} |\n" for number in range(10))
    text = f"| n | double |\n|---|---|\n{rows}"
    cut = split_point(text, 0, 60)
    assert text[:cut].endswith("|\n") and 0 < cut <= 60


def test_a_line_break_after_a_closed_fence_is_taken_over_a_blank_line_inside_it() -> None:
    text = "```\na\n\nb\n```\nmore words after the code"
    assert text[: split_point(text, 0, len(text) - 5)] == "```\na\n\nb\n```\n"


@pytest.mark.parametrize(
    ("opened", "closing", "reopening"),
    [
        ("```python\nx = 1\n", "```", "```python\n"),
        ("```python\nx = 1", "\n```", "```python\n"),
        ("~~~~ js title=a.js\nx\n", "~~~~", "~~~~ js title=a.js\n"),
        ("1. Run:\n   ```bash\n   ls\n", "   ```", "   ```bash\n"),
        ("- Run:\n      ```bash\n      ls\n", "      ```", "```bash\n"),
        ("````md\n```py\nx\n```\n", "````", "````md\n"),
        ("```py\nx\n```\n", "", ""),
        ("```a``` and more\n", "", ""),
    ],
)
def test_closing_and_reopening_fences(opened: str, closing: str, reopening: str) -> None:
    assert closing_fence(opened) == closing
    assert reopening_fence(opened) == reopening


def test_the_limit_counts_utf16_units() -> None:
    text = "😀" * 30 + "\n" + "😀" * 30
    cut = split_point(text, 0, 70)
    assert cut == 31 and utf16_length(text[:cut]) == 61


# ---- through the bot ----------------------------------------------------------------------------


def web_chat_message(text: str, connector: RecordingConnector) -> dict[str, object]:
    return user_message(text, connector.url, channel_id="webchat", conversation_type=None)


def all_delivered(connector: RecordingConnector, answer: str) -> bool:
    """Every stream has its final, and the bubbles add up to `answer`."""
    starts = {item.reply_id for item in connector.accepted() if item.reply_id and item.stream_info}
    ended = {item.reply_id for item in connector.accepted() if is_final(item)}
    return (
        starts <= ended and bool(connector.bubbles()) and without_added_fences(connector.bubbles()) == answer
    )


def code_bubbles_each_render_as_code(bubbles: list[str]) -> list[str]:
    """The bubbles with code in them, each checked to open and close its own fence."""
    code = [bubble for bubble in bubbles if "```" in bubble]
    for bubble in code:
        assert len(re.findall(r"^```", bubble, flags=re.MULTILINE)) == 2, f"unbalanced fence: {bubble!r}"
    return code


async def test_no_update_shows_half_a_marker(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    # Markers come as tokens of their own, at a pace of several tokens per update.
    model_server.tokens = re.findall(r"\*\*|`+|\w+|\s+|[^\w\s]", ANSWER)
    model_server.token_delay = 0.01
    bot = await start_bot({**model_env, "WEBCHAT_STREAM_INTERVAL": "0.05"})
    await bot.post_activity(web_chat_message("explain", connector))
    assert await connector.wait_for_answers() == [ANSWER]
    updates = [item.activity["text"] for item in connector.received if is_stream_update(item)]
    assert len(updates) >= 10
    for text in updates:
        prose = outside_code(text)
        assert prose.count("**") % 2 == 0, f"unbalanced bold: {text!r}"
        assert prose.count("`") % 2 == 0, f"unbalanced code: {text!r}"


async def test_a_long_code_block_is_split_into_bubbles_that_each_render_as_code(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    model_server.tokens = re.findall(r"[^\n]*\n|[^\n]+", CODE_ANSWER)  # line by line
    model_server.token_delay = 0.01
    connector.max_text_utf16 = 200
    bot = await start_bot({**model_env, "MESSAGE_MAX_UTF16": "200", "WEBCHAT_STREAM_INTERVAL": "0.05"})
    await bot.post_activity(web_chat_message("code", connector))
    await connector.wait_until(lambda: all_delivered(connector, CODE_ANSWER))
    bubbles = connector.bubbles()
    assert all(utf16_length(bubble) <= 200 for bubble in bubbles)
    assert len(code_bubbles_each_render_as_code(bubbles)) >= 4
    assert all(item.accepted for item in connector.received)


STEPS = "".join(f"step_{number}()\n" for number in range(20))


async def stream_past_the_time_limit(
    answer: str,
    start_bot: StartBot,
    model_env: dict[str, str],
    model_server: ModelServer,
    connector: RecordingConnector,
) -> list[str]:
    """Stream `answer` line by line over about 2 s, in streams that may last 1 s; return the bubbles."""
    model_server.tokens = re.findall(r"[^\n]*\n|[^\n]+", answer)
    model_server.token_delay = 0.1
    connector.stream_time_limit = 1.5
    bot = await start_bot({**model_env, "WEBCHAT_STREAM_INTERVAL": "0.1", "STREAM_MAX_SECONDS": "1.0"})
    await bot.post_activity(web_chat_message("code", connector))
    await connector.wait_until(lambda: all_delivered(connector, answer))
    assert all(item.accepted for item in connector.received)
    return connector.bubbles()


async def test_a_stream_out_of_time_ends_before_the_code_it_has_not_shown(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    answer = f"Run this:\n\n```python\n{STEPS}```\n\nThat is all."
    bubbles = await stream_past_the_time_limit(answer, start_bot, model_env, model_server, connector)
    assert bubbles == ["Run this:\n\n", f"```python\n{STEPS}```\n\nThat is all."]


async def test_code_cut_by_the_stream_time_limit_renders_as_code_in_both_bubbles(
    start_bot: StartBot, model_env: dict[str, str], model_server: ModelServer, connector: RecordingConnector
) -> None:
    # The answer starts with code: the stream that "Thinking…" opened runs out of time inside it.
    answer = f"```python\n{STEPS}```\n\nThat is all."
    bubbles = await stream_past_the_time_limit(answer, start_bot, model_env, model_server, connector)
    assert len(code_bubbles_each_render_as_code(bubbles)) == len(bubbles) >= 2
    assert bubbles[1].startswith("```python\nstep_")
