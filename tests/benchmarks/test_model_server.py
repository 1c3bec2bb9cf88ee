"""The benchmark's model server paces tokens by absolute due times; its edge cases must not cut answers."""

from __future__ import annotations

from benchmarks.model_server import RequestRecord, _Pacer, _Stream


class RecordingTransport:
    """Collects what the pacer writes (the pacer writes chunked-encoding frames to the transport)."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []

    def is_closing(self) -> bool:
        return False

    def write(self, data: bytes) -> None:
        self.frames.append(data)


async def test_a_token_popped_exactly_when_due_is_written() -> None:
    # At the boundary, (now - first_due) * rate can round down below the next index: the pacer once
    # wrote an empty frame there, which ends a chunked body, and then spun on the same stream forever.
    pacer = _Pacer()
    for first_due in (1234.567, 5678.9012345, 98765.4321):
        transport = RecordingTransport()
        stream = _Stream(
            transport, [b"a", b"b", b"c", b"d"], RequestRecord(0.0), first_due, 40.0, next_index=1
        )  # type: ignore[arg-type]
        pacer._write_due(stream, stream.next_due)
        assert transport.frames and all(not frame.startswith(b"0\r\n") for frame in transport.frames)
        assert stream.next_index >= 2
