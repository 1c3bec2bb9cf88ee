"""The stream-info fields, placed where each client reads them.

Teams reads `streamId`, `streamType` and `streamSequence` from a `streaminfo` entity; Web Chat
4.18 reads the same names only from `channelData`. Every stream activity carries both, with the
same values, except that a stream's first activity has no `streamSequence` in `channelData`.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from botbuilder.schema import Activity, Entity

StreamType = Literal["informative", "streaming", "final"]


class StreamInfoEntity(Entity):
    """A `streaminfo` entity that keeps its fields on the wire.

    botbuilder-schema's `Entity` serializes only `type` (msrest writes what `_attribute_map`
    lists), so a plain `Entity` or dict loses the stream fields and Teams rejects the activity.
    """

    _attribute_map: ClassVar[dict[str, dict[str, str]]] = {
        "type": {"key": "type", "type": "str"},
        "stream_id": {"key": "streamId", "type": "str"},
        "stream_type": {"key": "streamType", "type": "str"},
        "stream_sequence": {"key": "streamSequence", "type": "int"},
    }

    def __init__(
        self,
        *,
        stream_type: StreamType,
        stream_id: str | None = None,
        stream_sequence: int | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(type="streaminfo", **kwargs)
        self.stream_id = stream_id
        self.stream_type = stream_type
        self.stream_sequence = stream_sequence


def stamp_stream_info(
    activity: Activity,
    stream_type: StreamType,
    stream_id: str | None,
    stream_sequence: int | None,
) -> Activity:
    """Put the stream fields on `activity` as a Teams entity and in Web Chat's `channelData`.

    A stream's first activity (no `stream_id` yet) keeps its `streamSequence` for Teams only. Web
    Chat 4.18.1's activities reducer places a typing activity whose `channelData` has a
    `streamSequence` next to earlier typing activities with the same `channelData.streamId`; a
    first activity has none, so it matched the previous stream's first activity, and from the
    second answer on each answer showed right under the conversation's first question (Web Chat
    issue #5222). Without the number, Web Chat places it by its timestamp, after everything
    before it. (Web Chat's newer source falls back to the entity when `channelData` lacks fields.)
    """
    channel_data: dict[str, object] = {"streamType": stream_type}
    if stream_id is not None:
        channel_data["streamId"] = stream_id
        if stream_sequence is not None:
            channel_data["streamSequence"] = stream_sequence
    activity.entities = [
        StreamInfoEntity(stream_type=stream_type, stream_id=stream_id, stream_sequence=stream_sequence)
    ]
    activity.channel_data = channel_data
    return activity
