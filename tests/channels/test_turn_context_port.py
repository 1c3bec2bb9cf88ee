"""The stream fields survive serialization the way the Bot Connector client serializes activities.

Regression test for the botbuilder-python trap: a plain `Entity` sends only `{"type": ...}`.
"""

from __future__ import annotations

from botbuilder.schema import Activity, ActivityTypes, Entity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials

from channels.turn_context_port import to_activity
from streaming import Outgoing, StreamInfo


def serialize_like_the_connector(activity: Activity) -> dict:
    client = ConnectorClient(MicrosoftAppCredentials.empty(), base_url="http://127.0.0.1:1")
    return client._serialize.body(activity, "Activity")  # what send_to_conversation puts on the wire


def test_plain_entity_loses_the_stream_fields() -> None:
    """The trap itself, so that this test notices if the SDK ever changes."""
    activity = Activity(type=ActivityTypes.typing, text="Hi", entities=[Entity(type="streaminfo")])
    activity.entities[0].stream_type = "streaming"
    assert serialize_like_the_connector(activity)["entities"] == [{"type": "streaminfo"}]


def test_update_carries_stream_fields_in_entities_and_channel_data() -> None:
    activity = to_activity(Outgoing("typing", "Hel", StreamInfo("streaming", "s-1", 2)), "entity")
    wire = serialize_like_the_connector(activity)
    expected = {"streamId": "s-1", "streamType": "streaming", "streamSequence": 2}
    assert wire["entities"] == [{"type": "streaminfo", **expected}]
    assert wire["channelData"] == expected


def test_start_has_no_stream_id_yet_and_its_sequence_number_only_for_teams() -> None:
    """Teams requires streamSequence 1 on a start; Web Chat 4.18.1 would sort a start that has one
    in channelData beside the previous stream's start (tests/webchat shows it in the browser)."""
    activity = to_activity(Outgoing("typing", "Thinking…", StreamInfo("informative", None, 1)), "entity")
    wire = serialize_like_the_connector(activity)
    assert wire["entities"] == [{"type": "streaminfo", "streamType": "informative", "streamSequence": 1}]
    assert wire["channelData"] == {"streamType": "informative"}


def test_final_has_no_sequence_number() -> None:
    activity = to_activity(Outgoing("message", "Hello", StreamInfo("final", "s-1", None)), "entity")
    wire = serialize_like_the_connector(activity)
    assert wire["entities"] == [{"type": "streaminfo", "streamType": "final", "streamId": "s-1"}]
    assert wire["channelData"] == {"streamType": "final", "streamId": "s-1"}
