"""The figures of one load level, computed from what the model server, connector and driver recorded.

All times are `time.monotonic()` readings taken in different processes on one Linux machine, where
that clock is system-wide, so they compare directly.

What the user sees, per conversation, from the moment the user's message reached the bot (the
driver wrote the inbound POST to the bot's socket, `PostResult.sent_at`):
- inbound request: until the bot's HTTP response had been read (the channel waits this long; Teams
  re-sends a message whose request takes too long);
- first sign: until the connector got the conversation's first accepted activity, whatever it is:
  the "Thinking…" informative update on a streaming channel, typing elsewhere (or text, for a bot
  that shows neither); its kind is counted too;
- first text: until the connector got the first accepted stream update with text (`streamType:
  streaming`), or the final message if no update carried text;
- connect: from the driver starting the request to its bytes going out: the driver's own wait (it
  starts N requests together) plus any wait for the bot to accept the connection. Not counted in
  the figures above.
And, from the model's side:
- first text after the model's first token: the bot's own added latency on the way out;
- final delay: when the final message arrived minus when the model server wrote the last token;
- update lag, for every accepted stream send carrying text (updates and the final): arrival minus
  the moment the send was due, where due = max(end of the previous stream send + pacing interval,
  moment the text it could first carry became available). This is approximated from the records:
  "end of the previous send" is when the connector answered it (the bot sees the answer a few
  loopback microseconds later), "available" is when the model server wrote the first token the
  previous update did not carry (for the final: the last token), and "arrival" is the connector's
  receive time. The approximation ignores the bot's reading of the token off the socket and its
  HTTP send time, both of which the bot's own work makes longer; so it is the lag a user sees;
- outbound requests, lost (no final message), incomplete (final text is not the whole answer),
  protocol errors and 429s from the connector.
Per level: CPU seconds of the bot's processes (utime + stime from /proc, 10 ms ticks; all of them
when it runs several workers), per answer (that is, per conversation opened) and per 1000 tokens;
their peak RSS (VmHWM, summed), and memory per open stream = (peak - RSS before the level) / N.
The model server's own lateness (token writes behind their schedule) is reported too: if it is
large, the machine, not only the bot, was saturated.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from benchmarks.driver import PostResult
from benchmarks.model_server import answer_tokens

ACCEPTED = (201, 202)
LOG_PROBLEM = re.compile(r"\b(?:WARNING|ERROR|CRITICAL)\b")
TEXT_STREAM_TYPES = ("streaming", "final")


def percentiles(values: Sequence[float]) -> dict[str, float | None]:
    """p50, p95, p99 and max of `values` (nearest rank), or None for each if there are none."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(fraction: float) -> float:
        return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": ordered[-1]}


@dataclass(frozen=True)
class ProcessUsage:
    """What /proc said about the bot process over one level."""

    cpu_seconds: float
    rss_before_kb: int
    peak_rss_kb: int


@dataclass(frozen=True)
class LevelInput:
    """Everything recorded during one level."""

    conversations: list[str]
    posts: list[PostResult]
    hits: list[dict[str, Any]]
    model_records: dict[str, dict[str, Any]]
    tokens: int
    rate: float
    interval: float
    usage: ProcessUsage


def _update_lags(
    stream_hits: list[dict[str, Any]], token_times: list[float], ends: list[int], interval: float
) -> list[float]:
    """Lag of each accepted text-carrying stream send behind its due time (see module docstring)."""
    lags: list[float] = []
    carried = 0  # Characters the user has seen so far.
    previous_end: float | None = None
    for hit in stream_hits:
        accepted = hit["status"] in ACCEPTED
        if accepted and hit["stream_type"] in TEXT_STREAM_TYPES and hit["text_length"] and token_times:
            if hit["stream_type"] == "final":
                available = token_times[-1]
            else:
                first_new = min(bisect.bisect_right(ends, carried), len(token_times) - 1)
                available = token_times[first_new]
            due = available if previous_end is None else max(previous_end + interval, available)
            lags.append(hit["received_at"] - due)
            if hit["stream_type"] == "streaming":
                carried = hit["text_length"]
        previous_end = hit["answered_at"]
    return lags


def sign_kind(hit: dict[str, Any]) -> str:
    """What an activity shows the user: the informative line, typing, or answer text."""
    if hit["stream_type"] == "informative":
        return "informative"
    if hit["type"] == "typing" and hit["stream_type"] is None:
        return "typing"
    return "text"


def level_figures(level: LevelInput) -> dict[str, Any]:
    """The figures of one level as a JSON-ready dict (seconds, except where the key says ms/KB/MB)."""
    tokens = answer_tokens(level.tokens)
    answer_length = sum(map(len, tokens))
    ends = list(accumulate(map(len, tokens)))  # ends[i]: text length once token i is in.
    by_conversation: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for hit in level.hits:
        by_conversation[hit["conversation"]].append(hit)
    sent_at = {post.conversation: post.sent_at for post in level.posts}

    first_sign: list[float] = []
    sign_kinds: Counter[str] = Counter()
    first_text: list[float] = []
    first_text_after_model: list[float] = []
    final_delay: list[float] = []
    lags: list[float] = []
    requests: list[float] = []
    model_late: list[float] = []
    lost = incomplete = 0
    errors: Counter[str] = Counter()
    throttled = 0
    for conversation in level.conversations:
        hits = sorted(by_conversation.get(conversation, []), key=lambda hit: hit["received_at"])
        requests.append(len(hits))
        throttled += sum(hit["status"] == 429 for hit in hits)
        errors.update(hit["error"] for hit in hits if hit["error"])
        sent = sent_at.get(conversation)
        sign = next((hit for hit in hits if hit["status"] in ACCEPTED), None)
        if sign is not None:
            sign_kinds[sign_kind(sign)] += 1
            if sent is not None:
                first_sign.append(sign["received_at"] - sent)
        final = next((hit for hit in hits if hit["type"] == "message" and hit["status"] == 201), None)
        if final is None:
            lost += 1
            continue
        if final.get("text") != "".join(tokens):
            incomplete += 1
        visible = next(
            (
                hit
                for hit in hits
                if hit["status"] in ACCEPTED and hit["stream_type"] == "streaming" and hit["text_length"]
            ),
            final,
        )
        if sent is not None:
            first_text.append(visible["received_at"] - sent)
        token_times = (level.model_records.get(conversation) or {}).get("token_times") or []
        if not token_times:
            continue
        model_late.extend(
            written - (token_times[0] + index / level.rate) for index, written in enumerate(token_times)
        )
        first_text_after_model.append(visible["received_at"] - token_times[0])
        final_delay.append(final["received_at"] - token_times[-1])
        stream_hits = [hit for hit in hits if hit["stream_type"] is not None]
        lags.extend(_update_lags(stream_hits, token_times, ends, level.interval))

    count = len(level.conversations)
    usage = level.usage
    sent_posts = [post for post in level.posts if post.sent_at is not None]
    return {
        "conversations": count,
        "answer_chars": answer_length,
        "inbound_request": percentiles(
            [post.done_at - post.sent_at for post in sent_posts if post.done_at is not None]
        ),
        "first_sign": percentiles(first_sign),
        "first_sign_kinds": dict(sign_kinds),
        "first_text": percentiles(first_text),
        "first_text_after_model": percentiles(first_text_after_model),
        "final_delay": percentiles(final_delay),
        "update_lag": percentiles(lags),
        "connect": percentiles(
            [post.sent_at - post.started_at for post in sent_posts if post.started_at is not None]
        ),
        "requests_per_answer": percentiles(requests),
        "inbound_request_failures": sum(post.status is None or post.status >= 300 for post in level.posts),
        "model_token_lateness": percentiles(model_late),
        "lost": lost,
        "incomplete": incomplete,
        "protocol_errors": sum(errors.values()),
        "protocol_errors_by_kind": dict(errors),
        "throttled_429": throttled,
        "cpu_seconds": usage.cpu_seconds,
        # Per conversation opened, not per answer delivered: a level that lost answers spent CPU on them.
        "cpu_ms_per_answer": 1000 * usage.cpu_seconds / count if count else None,
        "cpu_ms_per_1000_tokens": 1e6 * usage.cpu_seconds / (count * level.tokens) if count else None,
        "peak_rss_mb": usage.peak_rss_kb / 1024,
        "kb_per_open_stream": (usage.peak_rss_kb - usage.rss_before_kb) / count if count else None,
    }


def sends_until(hits: list[dict[str, Any]], until: float) -> dict[str, int]:
    """Accepted sends the connector got by `until`: each conversation's first, and the later ones."""
    first = later = 0
    seen: set[str] = set()
    for hit in sorted(hits, key=lambda hit: hit["received_at"]):
        if hit["received_at"] > until or hit["status"] not in ACCEPTED:
            continue
        if hit["conversation"] in seen:
            later += 1
        else:
            seen.add(hit["conversation"])
            first += 1
    return {"first": first, "later": later}


def log_problems(log_text: str) -> int:
    """Lines of a bot's log at WARNING or worse: what went wrong that the user may not see (a
    conversation's reference not kept, a storage conflict given up on, a send that failed)."""
    return sum(1 for line in log_text.splitlines() if LOG_PROBLEM.search(line))


def holds(figures: dict[str, Any], max_p99_lag: float) -> bool:
    """Whether the bot held this level: p99 update lag under the bar, nothing lost or cut, no 429."""
    p99 = figures["update_lag"]["p99"]
    return (
        p99 is not None
        and p99 < max_p99_lag
        and figures["lost"] == 0
        and figures["incomplete"] == 0
        and figures["throttled_429"] == 0
    )
