"""What the user sees is measured from the moment the message reached the bot, from recorded times."""

from __future__ import annotations

from typing import Any

from benchmarks.driver import PostResult
from benchmarks.metrics import LevelInput, ProcessUsage, level_figures, log_problems, sends_until, sign_kind
from benchmarks.model_server import answer_tokens

TOKENS = 4
ANSWER = "".join(answer_tokens(TOKENS))


def hit(conversation: str, at: float, kind: str, status: int = 201, text: str = "") -> dict[str, Any]:
    """A connector record: `kind` is informative, typing, streaming or final."""
    stream_type = None if kind == "typing" else kind
    return {
        "conversation": conversation,
        "received_at": at,
        "answered_at": at + 0.001,
        "method": "POST",
        "type": "message" if kind == "final" else "typing",
        "stream_type": stream_type,
        "sequence": None,
        "text_length": len(text),
        "status": status,
        "error": None,
        "text": text if kind == "final" else None,
    }


def figures(posts: list[PostResult], hits: list[dict[str, Any]], model: dict[str, Any]) -> dict[str, Any]:
    level = LevelInput(
        conversations=[post.conversation for post in posts],
        posts=posts,
        hits=hits,
        model_records=model,
        tokens=TOKENS,
        rate=40.0,
        interval=1.0,
        usage=ProcessUsage(cpu_seconds=0.02, rss_before_kb=1000, peak_rss_kb=1200),
    )
    return level_figures(level)


def test_every_figure_the_user_sees_counts_from_when_the_message_went_out() -> None:
    # The driver began at 99.0 but the bytes went out at 100.0: the bot is not charged for the wait.
    post = PostResult("a", started_at=99.0, sent_at=100.0, done_at=100.05, status=201)
    hits = [
        hit("a", 100.2, "informative", text="Thinking…"),
        hit("a", 101.3, "streaming", status=202, text=ANSWER[:5]),
        hit("a", 102.4, "final", text=ANSWER),
    ]
    model = {"a": {"received_at": 100.25, "token_times": [100.8, 100.825, 100.85, 100.875]}}

    result = figures([post], hits, model)

    assert result["inbound_request"]["p95"] == 100.05 - 100.0
    assert result["first_sign"]["p50"] == 100.2 - 100.0
    assert result["first_sign_kinds"] == {"informative": 1}
    assert result["first_text"]["p95"] == 101.3 - 100.0
    assert result["first_text_after_model"]["p95"] == 101.3 - 100.8
    assert result["final_delay"]["p50"] == 102.4 - 100.875
    assert result["connect"]["p50"] == 1.0
    assert result["lost"] == 0 and result["incomplete"] == 0


def test_the_first_sign_is_the_first_accepted_activity_typing_included() -> None:
    # A refused send shows nothing; typing is a sign; the final counts as the first text when no
    # update carried text.
    posts = [
        PostResult("t", started_at=10.0, sent_at=10.0, done_at=10.1, status=201),
        PostResult("r", started_at=10.0, sent_at=10.0, done_at=10.1, status=201),
    ]
    hits = [
        hit("t", 10.3, "typing"),
        hit("t", 11.0, "final", text=ANSWER),
        hit("r", 10.2, "informative", status=429, text="Thinking…"),
        hit("r", 10.6, "informative", text="Thinking…"),
        hit("r", 11.5, "final", text=ANSWER),
    ]
    model = {key: {"received_at": 10.1, "token_times": [10.5, 10.6, 10.7, 10.8]} for key in ("t", "r")}

    result = figures(posts, hits, model)

    assert result["first_sign_kinds"] == {"typing": 1, "informative": 1}
    assert result["first_sign"]["p50"] == 10.3 - 10.0
    assert result["first_sign"]["max"] == 10.6 - 10.0
    assert result["first_text"]["max"] == 11.5 - 10.0
    assert result["throttled_429"] == 1


def test_a_message_that_never_went_out_is_lost_and_not_timed() -> None:
    posts = [
        PostResult("ok", started_at=1.0, sent_at=1.0, done_at=1.01, status=201),
        PostResult("unsent", started_at=1.0, done_at=2.0, error="ClientConnectorError"),
    ]
    hits = [hit("ok", 1.1, "informative", text="Thinking…"), hit("ok", 2.0, "final", text=ANSWER)]
    model = {"ok": {"received_at": 1.05, "token_times": [1.5, 1.55, 1.6, 1.65]}}

    result = figures(posts, hits, model)

    assert result["lost"] == 1
    assert result["inbound_request_failures"] == 1
    assert result["inbound_request"]["max"] == 1.01 - 1.0  # Only the message that reached the bot.
    assert result["first_sign"]["max"] == 1.1 - 1.0


def test_sign_kinds() -> None:
    assert sign_kind(hit("x", 0, "informative")) == "informative"
    assert sign_kind(hit("x", 0, "typing")) == "typing"
    assert sign_kind(hit("x", 0, "streaming")) == "text"
    assert sign_kind(hit("x", 0, "final")) == "text"


def test_sends_until_a_moment_count_each_conversations_first_apart() -> None:
    hits = [
        hit("a", 1.0, "informative"),
        hit("a", 2.0, "streaming", status=202, text="x"),
        hit("b", 1.5, "informative", status=429),
        hit("b", 2.5, "informative"),
        hit("a", 3.5, "final", text="x"),
    ]
    assert sends_until(hits, 3.0) == {"first": 2, "later": 1}
    assert sends_until(hits, 1.2) == {"first": 1, "later": 0}


def test_warnings_and_errors_in_a_bots_log_are_counted() -> None:
    log = "\n".join(
        [
            "2026-11-28 12:18:21,084 INFO bot: answering with openai",
            "2026-11-28 12:18:21,085 WARNING bots.conversation_references: could not keep the reference",
            "2026-11-28 12:18:22,000 ERROR host.turn_errors: turn failed",
            "WARNING:aiohttp.access:something",
            "an answer that mentions a warning in lower case",
        ]
    )
    assert log_problems(log) == 3
