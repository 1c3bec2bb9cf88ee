"""The port's activities skip the SDK's defensive deep copy, and still go out as plain activities would."""

from __future__ import annotations

import copy

from botbuilder.schema import Activity
from msrest import Serializer

from channels.turn_context_port import OneSendActivity, to_activity
from connector.serialization import activity_body
from streaming import AnswerMarks, Citation, Outgoing, StreamInfo

SERIALIZER = Serializer({"Activity": Activity})

SENDS = [
    Outgoing("typing", "Thinking…", StreamInfo("informative", None, 1)),
    Outgoing("typing", "The answer so far", StreamInfo("streaming", "stream-1", 2)),
    Outgoing(
        "message",
        "The answer [1].",
        StreamInfo("final", "stream-1", None),
        AnswerMarks(citations=(Citation("Doc", "https://example.com/doc", "A passage."),)),
    ),
    Outgoing("typing"),
]


def test_the_sdk_copy_of_a_port_activity_is_the_activity_itself() -> None:
    activity = to_activity(SENDS[0], "teams")
    assert isinstance(activity, OneSendActivity)
    assert copy.deepcopy(activity) is activity


def test_a_port_activity_serializes_exactly_like_a_plain_one() -> None:
    for outgoing in SENDS:
        activity = to_activity(outgoing, "teams")
        plain = Activity(**{name: getattr(activity, name) for name in Activity._attribute_map})
        assert type(plain) is Activity and activity.text == outgoing.text
        assert activity_body(activity, SERIALIZER) == SERIALIZER.body(plain, "Activity")
        assert SERIALIZER.body(activity, "Activity") == SERIALIZER.body(plain, "Activity")
