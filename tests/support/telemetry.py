"""Local back ends for the bot's telemetry: an OTLP/HTTP collector and Application Insights' ingestion.

Each records what it receives, decoded, and lets a test wait until something has arrived.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as SpanMessage
from opentelemetry.proto.trace.v1.trace_pb2 import Status


@dataclass
class _Receiver:
    """Lets a test wait for what arrives."""

    url: str = ""
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def wait_until(self, condition: Callable[[], bool], within: float = 20.0) -> None:
        """Wait until `condition()` holds, re-checked after every request."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(condition), within)

    async def _arrived(self) -> None:
        async with self._changed:
            self._changed.notify_all()


@dataclass
class ReceivedSpan:
    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_span_id: str
    attributes: dict[str, Any]
    status: str
    service_name: str


@dataclass
class ReceivedPoint:
    """One data point of one export: a sum's value or a histogram's count."""

    metric: str
    attributes: dict[str, Any]
    value: float


@dataclass
class OtlpCollector(_Receiver):
    """Accepts POST /v1/traces and /v1/metrics in OTLP's protobuf encoding, as a collector does."""

    spans: list[ReceivedSpan] = field(default_factory=list)
    exports: list[list[ReceivedPoint]] = field(default_factory=list)
    """The data points of each metrics export, in arrival order."""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/v1/traces", self._on_traces)
        app.router.add_post("/v1/metrics", self._on_metrics)
        return app

    def named(self, name: str) -> list[ReceivedSpan]:
        return [span for span in self.spans if span.name == name]

    def latest(self, metric: str, **attributes: Any) -> float | None:
        """The metric's value (with these attributes) in the latest export that has it."""
        for points in reversed(self.exports):
            for point in points:
                if point.metric == metric and attributes.items() <= point.attributes.items():
                    return point.value
        return None

    async def _on_traces(self, request: web.Request) -> web.Response:
        message = ExportTraceServiceRequest.FromString(await request.read())
        for resource_spans in message.resource_spans:
            service = _attributes(resource_spans.resource.attributes).get("service.name", "")
            for scope_spans in resource_spans.scope_spans:
                self.spans.extend(_span(span, service) for span in scope_spans.spans)
        await self._arrived()
        return web.Response(content_type="application/x-protobuf")

    async def _on_metrics(self, request: web.Request) -> web.Response:
        message = ExportMetricsServiceRequest.FromString(await request.read())
        points = []
        for resource_metrics in message.resource_metrics:
            for scope_metrics in resource_metrics.scope_metrics:
                for metric in scope_metrics.metrics:
                    kind = metric.WhichOneof("data")
                    for point in getattr(metric, kind).data_points:
                        value = (
                            point.count if kind == "histogram" else getattr(point, point.WhichOneof("value"))
                        )
                        points.append(ReceivedPoint(metric.name, _attributes(point.attributes), value))
        self.exports.append(points)
        await self._arrived()
        return web.Response(content_type="application/x-protobuf")


@dataclass
class AppInsightsIngestion(_Receiver):
    """Accepts Application Insights' POST .../v2.1/track: a JSON array of envelopes, maybe gzipped."""

    envelopes: list[dict[str, Any]] = field(default_factory=list)

    def app(self) -> web.Application:
        app = web.Application()
        # The exporter writes "<IngestionEndpoint>/v2.1/track", so "//v2.1/track" for an endpoint that
        # ends in "/", as the portal's connection strings do.
        app.router.add_post(r"/{slashes:/*}v2.1/track", self._on_track)
        return app

    def of_type(self, base_type: str) -> list[dict[str, Any]]:
        """The `baseData` of each envelope of that type (RequestData, RemoteDependencyData, MetricData)."""
        return [
            envelope["data"]["baseData"]
            for envelope in self.envelopes
            if envelope["data"]["baseType"] == base_type
        ]

    async def _on_track(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        received = json.loads(body)
        self.envelopes.extend(received)
        await self._arrived()
        return web.json_response(
            {"itemsReceived": len(received), "itemsAccepted": len(received), "errors": []}
        )


def _span(span: SpanMessage, service: str) -> ReceivedSpan:
    return ReceivedSpan(
        name=span.name,
        kind=SpanMessage.SpanKind.Name(span.kind).removeprefix("SPAN_KIND_"),
        trace_id=span.trace_id.hex(),
        span_id=span.span_id.hex(),
        parent_span_id=span.parent_span_id.hex(),
        attributes=_attributes(span.attributes),
        status=Status.StatusCode.Name(span.status.code).removeprefix("STATUS_CODE_"),
        service_name=service,
    )


def _attributes(pairs: list[KeyValue]) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    return getattr(value, kind) if kind else None
