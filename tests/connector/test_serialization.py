"""The fast activity serializer writes exactly what msrest's Serializer.body writes."""

from __future__ import annotations

import datetime

import pytest
from botbuilder.core import CardFactory, MessageFactory, TurnContext
from botbuilder.schema import (
    Activity,
    ActivityTypes,
    CardAction,
    ChannelAccount,
    ConversationAccount,
    ConversationReference,
    Entity,
    HeroCard,
    Mention,
    SuggestedActions,
)
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import MicrosoftAppCredentials
from msrest import Serializer

from channels.turn_context_port import to_activity
from connector.serialization import activity_body, model_json
from streaming import AnswerMarks, Citation, Outgoing, SensitivityLabel, StreamInfo
from tests.connector.test_deserialization import corpus

SERIALIZER = ConnectorClient(MicrosoftAppCredentials.empty(), base_url="http://127.0.0.1:1")._serialize
REFERENCE = ConversationReference(
    activity_id="user-activity",
    user=ChannelAccount(id="user-1", name="User", aad_object_id="aad-1"),
    bot=ChannelAccount(id="bot-1", name="Bot"),
    conversation=ConversationAccount(id="a:1;messageid=2", conversation_type="personal", tenant_id="t"),
    channel_id="msteams",
    locale="en-US",
    service_url="https://smba.example/emea/",
)

MARKS = AnswerMarks(
    citations=(Citation(1, "A source", "What it says.", url="https://example.com/a", keywords=("k",)),),
    feedback="default",
    sensitivity=SensitivityLabel("Confidential", "Staff only"),
)


def as_sent(activity: Activity) -> Activity:
    """The activity as TurnContext.send_activity hands it to the adapter."""
    return TurnContext.apply_conversation_reference(activity, REFERENCE)


def cases() -> dict[str, Activity]:
    hero = CardFactory.hero_card(
        HeroCard(title="Hi", buttons=[CardAction(type="imBack", title="Go", value="go")])
    )
    adaptive = CardFactory.adaptive_card(
        {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]}
    )
    suggested = MessageFactory.text("Pick one")
    suggested.suggested_actions = SuggestedActions(
        actions=[CardAction(type="imBack", title="Help", value="help")], to=["user-1"]
    )
    mention = MessageFactory.text("<at>User</at> hi")
    mention.entities = [
        Mention(mentioned=ChannelAccount(id="user-1", name="User"), text="<at>User</at>", type="mention")
    ]
    dict_entity = MessageFactory.text("dict entity")
    dict_entity.entities = [{"type": "streaminfo", "streamType": "final"}]
    timestamped = MessageFactory.text("time")
    timestamped.timestamp = datetime.datetime(2026, 11, 21, 10, 0, 0, 123000, tzinfo=datetime.UTC)
    return {
        "informative": to_activity(
            Outgoing("typing", "Thinking…", StreamInfo("informative", None, 1)), "entity"
        ),
        "streaming": to_activity(Outgoing("typing", "Hel", StreamInfo("streaming", "s-1", 2)), "entity"),
        "final": to_activity(Outgoing("message", "Hello", StreamInfo("final", "s-1", None)), "entity"),
        "final with marks": to_activity(
            Outgoing("message", "Hi [1]", StreamInfo("final", "s-1", None), MARKS), "entity"
        ),
        "typing": Activity(type=ActivityTypes.typing),
        "text": MessageFactory.text("Hello **world** ✓ 😀", input_hint="acceptingInput"),
        "hero card": MessageFactory.attachment(hero),
        "adaptive card": MessageFactory.attachment(adaptive),
        "suggested actions": suggested,
        "mention": mention,
        "dict entity (msrest converts it)": dict_entity,
        "timestamp (msrest formats it)": timestamped,
        "nested channel data": Activity(
            type="message",
            text="x",
            channel_data={"notification": {"alert": True}, "list": [1, 2.5, None, "s"]},
        ),
        "value": Activity(type="invokeResponse", value={"status": 200, "body": {"ok": True}}),
    }


@pytest.mark.parametrize("name", list(cases()))
def test_same_json_as_msrest(name: str) -> None:
    activity = as_sent(cases()[name])
    assert activity_body(activity, SERIALIZER) == SERIALIZER.body(activity, "Activity")


def test_plain_entity_trap_is_kept_as_msrest_has_it() -> None:
    """A plain Entity still loses extra fields, as with the SDK: the stream code must not rely on it."""
    activity = as_sent(Activity(type="typing", entities=[Entity(type="streaminfo")]))
    activity.entities[0].stream_type = "streaming"
    assert activity_body(activity, SERIALIZER)["entities"] == [{"type": "streaminfo"}]


class _RefusingSerializer(Serializer):
    """Fails the test if the fast path hands an activity to msrest."""

    def body(self, *_args: object, **_kwargs: object) -> dict:
        raise AssertionError("msrest was used")


FAST = [
    "informative",
    "streaming",
    "final",
    "final with marks",
    "typing",
    "text",
    "hero card",
    "adaptive card",
    "suggested actions",
]


@pytest.mark.parametrize("name", FAST)
def test_common_activities_do_not_need_msrest(name: str) -> None:
    activity_body(as_sent(cases()[name]), _RefusingSerializer())


@pytest.mark.parametrize("name", sorted(corpus()))
def test_conversation_references_serialize_as_msrest_does(name: str) -> None:
    """The reference kept for notifications is the JSON `ConversationReference.serialize()` writes."""
    activity = Activity.deserialize(corpus()[name])
    reference = TurnContext.get_conversation_reference(activity)
    assert model_json(reference) == reference.serialize()
    assert model_json(REFERENCE) == REFERENCE.serialize()
