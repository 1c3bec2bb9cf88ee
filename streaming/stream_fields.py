"""The stream fields of one send, placed where each client reads them.

Teams reads `streamId`, `streamType` and `streamSequence` from a `streaminfo` entity; Web Chat
4.18 reads the same names only from `channelData`. Every stream activity carries both.
"""

from __future__ import annotations

from .channel import StreamInfo


def teams_entity(info: StreamInfo) -> dict[str, object]:
    """The `streaminfo` entity, with the fields that are set."""
    entity: dict[str, object] = {"type": "streaminfo", "streamType": info.stream_type}
    if info.stream_id is not None:
        entity["streamId"] = info.stream_id
    if info.sequence is not None:
        entity["streamSequence"] = info.sequence
    return entity


def web_chat_channel_data(info: StreamInfo) -> dict[str, object]:
    """The same fields for Web Chat's `channelData`, but a stream's first send has no sequence there.

    Web Chat 4.18.1's activities reducer places a typing activity whose `channelData` has a
    `streamSequence` next to earlier typing activities with the same `channelData.streamId`; a
    first activity has none, so it matched the previous stream's first activity, and from the
    second answer on each answer showed right under the conversation's first question (Web Chat
    issue #5222). Without the number, Web Chat places it by its timestamp, after everything
    before it. (Web Chat's newer source falls back to the entity when `channelData` lacks fields.)
    """
    fields: dict[str, object] = {"streamType": info.stream_type}
    if info.stream_id is not None:
        fields["streamId"] = info.stream_id
        if info.sequence is not None:
            fields["streamSequence"] = info.sequence
    return fields
