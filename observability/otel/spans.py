"""Spans: one per POST /api/messages, continuing the caller's W3C trace, and one per background answer.

A message's turn runs after its request was answered, in the request's trace; the request's span
carries the activity's ids all the same (the endpoint leaves the checked activity on the request).

The answer's turn runs in a task started during the user's turn, so its span is a child of that
request's span: one trace follows a message from its arrival to its final answer.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from botbuilder.core import Middleware, TurnContext
from botbuilder.schema import Activity, ActivityEventNames, ActivityTypes
from opentelemetry.trace import Span, SpanKind, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from host.messages import CHECKED_ACTIVITY
from observability.logging import log_fields

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

MESSAGES_ROUTE = "/api/messages"
ANSWER_SPAN = "answer"
_W3C = TraceContextTextMapPropagator()


def trace_requests(tracer: Tracer, handler: Handler) -> Handler:
    """`handler` inside a SERVER span per request, the child of the request's `traceparent` if it has one."""

    async def traced(request: web.Request) -> web.StreamResponse:
        url = request.url
        with tracer.start_as_current_span(
            f"{request.method} {MESSAGES_ROUTE}",
            context=_W3C.extract(request.headers),
            kind=SpanKind.SERVER,
            attributes={
                "http.request.method": request.method,
                "http.route": MESSAGES_ROUTE,
                "url.scheme": url.scheme,
                "url.path": url.path,
                **({"server.address": url.host, "server.port": url.port} if url.host and url.port else {}),
            },
        ) as span:
            with log_fields(**_log_ids(span)):
                response = await handler(request)
            activity = request.get(CHECKED_ACTIVITY)
            if activity is not None:
                kind = getattr(activity.type, "value", activity.type)  # the SDK's activities carry the enum
                span.set_attributes({**_ids(activity, activity.id), "bot.activity.type": kind})
            span.set_attribute("http.response.status_code", response.status)
            if response.status >= 500:
                span.set_status(StatusCode.ERROR)
            return response

    return traced


class TurnSpanMiddleware(Middleware):
    """Runs an answer's own turn in a span of its own (a user's turn is the request's: `trace_requests`)."""

    def __init__(self, tracer: Tracer) -> None:
        self._tracer = tracer

    async def on_turn(self, context: TurnContext, logic: Callable[[], Awaitable[None]]) -> None:
        activity = context.activity
        if not _is_answer_turn(activity):
            await logic()
            return
        # Its id is the user's message it answers, as in the logs (the continuation's own id is new).
        answered = activity.relates_to.activity_id if activity.relates_to else None
        with (
            self._tracer.start_as_current_span(ANSWER_SPAN, attributes=_ids(activity, answered)) as span,
            log_fields(**_log_ids(span)),
        ):
            await logic()


def _is_answer_turn(activity: Activity) -> bool:
    """The bot's only proactive turns are the answers `ConversationAnswers` continues in the background."""
    return activity.type == ActivityTypes.event and activity.name == ActivityEventNames.continue_conversation


def _ids(activity: Activity, activity_id: str | None) -> dict[str, str]:
    """The ids that find a turn in the logs, and its conversation (those that are set)."""
    conversation = activity.conversation
    ids = {
        "bot.activity.id": activity_id,
        "bot.channel.id": activity.channel_id,
        "bot.conversation.id": conversation.id if conversation else None,
        "bot.conversation.type": conversation.conversation_type if conversation else None,
    }
    return {key: value for key, value in ids.items() if isinstance(value, str) and value}


def _log_ids(span: Span) -> dict[str, str]:
    """The span's ids as the logs show them (and as W3C `traceparent` writes them)."""
    ids = span.get_span_context()
    return {"trace_id": format(ids.trace_id, "032x"), "span_id": format(ids.span_id, "016x")}
