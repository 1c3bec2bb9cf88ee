"""The fast activity reader builds what msrest's `Activity.deserialize` builds, or raises what it raises."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from typing import Any

import pytest
from botbuilder.schema import Activity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from msrest.exceptions import DeserializationError
from msrest.serialization import Model

from benchmarks import driver
from connector.deserialization import activity_from_body, plain_activity
from tests.support.activities import invoke, user_message

SERVICE_URL = "https://smba.trafficmanager.net/emea/"
BOT_ID = "28:bot-app-id"


def _equal(a: Any, b: Any) -> bool:
    """Equal in every attribute, recursively: model classes, `additional_properties`, time zones."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Model):
        return _equal(vars(a), vars(b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_equal(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, datetime):
        return (
            a == b
            and a.replace(tzinfo=None) == b.replace(tzinfo=None)
            and type(a.tzinfo) is type(b.tzinfo)
            and (a.tzinfo is None or vars(a.tzinfo) == vars(b.tzinfo))
        )
    return a is b or a == b


def teams_message() -> dict[str, Any]:
    """A Teams channel message mentioning the bot, as the Bot Connector posts it."""
    return {
        "text": "<at>Streaming Bot</at> What is the refund policy?",
        "textFormat": "plain",
        "attachments": [
            {
                "contentType": "text/html",
                "content": '<div><span itemtype="http://schema.skype.com/Mention">Streaming Bot</span></div>',
            }
        ],
        "type": "message",
        "timestamp": "2026-11-21T10:00:00.1234567Z",
        "localTimestamp": "2026-11-21T02:00:00.1234567-08:00",
        "id": "1732183200123",
        "channelId": "msteams",
        "serviceUrl": SERVICE_URL,
        "from": {"id": "29:1abc", "name": "Ada Lovelace", "aadObjectId": "6a1f0c2e-1111"},
        "conversation": {
            "isGroup": True,
            "conversationType": "channel",
            "tenantId": "72f988bf",
            "id": "19:abc@thread.tacv2;messageid=1732183200123",
        },
        "recipient": {"id": BOT_ID, "name": "Streaming Bot"},
        "entities": [
            {
                "mentioned": {"id": BOT_ID, "name": "Streaming Bot"},
                "text": "<at>Streaming Bot</at>",
                "type": "mention",
            },
            {
                "locale": "en-US",
                "country": "US",
                "platform": "Web",
                "timezone": "America/Los_Angeles",
                "type": "clientInfo",
            },
        ],
        "channelData": {
            "teamsChannelId": "19:abc@thread.tacv2",
            "teamsTeamId": "19:team@thread.tacv2",
            "channel": {"id": "19:abc@thread.tacv2"},
            "team": {"id": "19:team@thread.tacv2"},
            "tenant": {"id": "72f988bf"},
            "settings": {"selectedChannel": {"id": "19:abc@thread.tacv2"}},
        },
        "locale": "en-US",
        "localTimezone": "America/Los_Angeles",
    }


def everything_message() -> dict[str, Any]:
    """A message using every model an Activity can hold."""
    reference = {
        "activityId": "a-1",
        "user": {"id": "u", "role": "user", "properties": {"x": [1, 2.5, None]}},
        "bot": {"id": "b", "role": "bot"},
        "conversation": {"id": "c", "isGroup": False, "name": "n", "role": "user", "properties": {}},
        "channelId": "directline",
        "locale": "fr-FR",
        "serviceUrl": SERVICE_URL,
        "extra": "kept",
    }
    return {
        "type": "message",
        "id": "m-1",
        "timestamp": "2026-01-02T03:04:05Z",
        "localTimestamp": "2026-01-02T08:34:05.5+05:30",
        "expiration": "2026-01-02T03:04:05",
        "serviceUrl": SERVICE_URL,
        "channelId": "directline",
        "from": {"id": "u", "name": "U"},
        "recipient": {"id": "b"},
        "conversation": {"id": "c"},
        "attachmentLayout": "carousel",
        "reactionsAdded": [{"type": "like"}, None],
        "reactionsRemoved": [],
        "topicName": "t",
        "historyDisclosed": False,
        "speak": "s",
        "inputHint": "expectingInput",
        "summary": "sum",
        "suggestedActions": {
            "to": ["u", None],
            "actions": [
                {
                    "type": "imBack",
                    "title": "Go",
                    "image": "https://x/i.png",
                    "text": "go",
                    "displayText": "Go!",
                    "value": {"nested": {"deep": [True, {"a": None}]}},
                    "channelData": ["x"],
                    "imageAltText": "alt",
                }
            ],
        },
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": "https://x/c",
                "content": {"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlock"}]},
                "name": "card",
                "thumbnailUrl": "https://x/t",
            }
        ],
        "entities": [{"type": "streaminfo", "streamType": "final", "streamSequence": 3}],
        "action": "add",
        "replyToId": "r-1",
        "label": "l",
        "valueType": "vt",
        "value": [1, "two", 3.0, None, {"k": "v"}],
        "name": "n",
        "relatesTo": reference,
        "code": "completedSuccessfully",
        "importance": "high",
        "deliveryMode": "expectReplies",
        "listenFor": ["a", "b"],
        "textHighlights": [{"text": "hi", "occurrence": 2}],
        "semanticAction": {
            "id": "sa",
            "state": "start",
            "entities": {"e1": {"type": "x", "more": 1}, "e2": None},
        },
        "callerId": "urn:botframework:azure",
        "unknownTopLevel": {"kept": ["as", "is"]},
    }


def corpus() -> dict[str, dict[str, Any]]:
    """Every activity shape the test suite posts, and those channels send."""
    installation = {
        "type": "installationUpdate",
        "action": "add",
        "id": "f:1",
        "timestamp": "2026-11-21T10:00:00.456Z",
        "localTimestamp": "2026-11-21T11:00:00.456+01:00",
        "channelId": "msteams",
        "serviceUrl": SERVICE_URL,
        "from": {"id": "29:1abc", "aadObjectId": "6a1f0c2e"},
        "conversation": {"isGroup": False, "conversationType": "personal", "tenantId": "t", "id": "a:1"},
        "recipient": {"id": BOT_ID, "name": "Streaming Bot"},
        "channelData": {"settings": {"source": {"name": "message"}}, "source": {"name": "message"}},
        "entities": [{"locale": "en-US", "country": "US", "platform": "Windows", "type": "clientInfo"}],
        "locale": "en-US",
    }
    members_added = {  # as tests/bots/test_chat_bot.py posts it, with what Teams adds
        "type": "conversationUpdate",
        "id": "update-1",
        "channelId": "msteams",
        "serviceUrl": SERVICE_URL,
        "from": {"id": "user-1"},
        "recipient": {"id": BOT_ID},
        "conversation": {"id": "conv-welcome", "conversationType": "personal"},
        "membersAdded": [{"id": "29:1abc", "aadObjectId": "6a1f0c2e"}, {"id": BOT_ID}],
        "channelData": {"tenant": {"id": "t"}, "eventType": "teamMemberAdded"},
    }
    # The feedback form's value as Teams sends it (fields as a JSON string) and as the Playground does.
    teams_feedback = {
        "actionName": "feedback",
        "actionValue": {"reaction": "like", "feedback": '{"feedbackText": "good"}'},
    }
    playground_feedback = {
        "actionName": "feedback",
        "actionValue": {"reaction": "dislike", "feedback": "long"},
    }
    adaptive_action = invoke(
        "adaptiveCard/action",
        {"action": {"type": "Action.Execute", "verb": "retry", "data": {"n": 1}}},
        SERVICE_URL,
    )
    return {
        "user message": user_message("hello", SERVICE_URL),
        "user message mentioning the bot": user_message("hi", SERVICE_URL, mention_bot=True),
        "group chat, expectReplies": user_message(
            "hi", SERVICE_URL, conversation_type="groupChat", delivery_mode="expectReplies"
        ),
        "web chat message": user_message(
            "hi",
            SERVICE_URL,
            channel_id="webchat",
            conversation_type=None,
            sender={"id": "u-9", "name": "Nine"},
        ),
        "benchmark message (Teams)": driver.user_message("bench-1", "msteams", SERVICE_URL),
        "benchmark message (Web Chat)": driver.user_message("bench-1", "webchat", SERVICE_URL),
        "Teams channel message": teams_message(),
        "every field": everything_message(),
        "feedback invoke (Teams)": invoke(
            "message/submitAction", teams_feedback, SERVICE_URL, reply_to_id="r-7"
        ),
        "feedback invoke (Playground)": invoke("message/submitAction", playground_feedback, SERVICE_URL),
        "adaptive card action invoke": adaptive_action,
        "invoke without value": invoke("composeExtension/query", None, SERVICE_URL),
        "conversationUpdate with membersAdded": members_added,
        "installationUpdate": installation,
        "typing": {
            "type": "typing",
            "channelId": "webchat",
            "serviceUrl": SERVICE_URL,
            "conversation": {"id": "c"},
        },
        "empty object": {},
        "nulls everywhere": {
            key: None for key in ("type", "from", "entities", "timestamp", "value", "channelData")
        },
    }


ODD = {
    "text as a number (msrest writes it out)": {"type": "message", "text": 5},
    "text as an object": {"type": "message", "text": {"a": 1}},
    "historyDisclosed as a string": {"historyDisclosed": "true"},
    "historyDisclosed as 0": {"historyDisclosed": 0},
    "historyDisclosed as a word": {"historyDisclosed": "maybe"},
    "occurrence as a float": {"textHighlights": [{"occurrence": 2.7}]},
    "occurrence as a string": {"textHighlights": [{"occurrence": "3"}]},
    "from as a string": {"from": "user-1"},
    "from as a list": {"from": [{"id": "u"}]},
    "entities as an object": {"entities": {"type": "mention"}},
    "entities holding a string": {"entities": ["mention"]},
    "semantic entities as key/value pairs": {
        "semanticAction": {"entities": [{"key": "k", "value": {"type": "t"}}]}
    },
    "timestamp as a number": {"timestamp": 1732183200},
    "timestamp without a time": {"timestamp": "2026-11-21"},
    "timestamp in lower case": {"timestamp": "2026-11-21t10:00:00z"},
    "timestamp with month 00 (isodate reads January)": {"timestamp": "2026-00-21T10:00:00Z"},
    "timestamp with day 32": {"timestamp": "2026-01-32T10:00:00Z"},
    "timestamp at 24:00": {"timestamp": "2026-01-01T24:00:00Z"},
    "timestamp with offset minutes 75": {"timestamp": "2026-01-01T10:00:00+01:75"},
    "timestamp with offset 24h": {"timestamp": "2026-01-01T10:00:00+24:00"},
    "timestamp with basic offset": {"timestamp": "2026-01-01T10:00:00+0100"},
    "timestamp with a comma": {"timestamp": "2026-01-01T10:00:00,5Z"},
    "timestamp in year 1 east of UTC": {"timestamp": "0001-01-01T00:00:00+01:00"},
    "timestamp in year 9999 west of UTC": {"timestamp": "9999-12-31T23:00:00-05:00"},
    "timestamp -00:00": {"timestamp": "2026-01-01T10:00:00.0000001-00:00"},
    "timestamp with Arabic-Indic digits": {"timestamp": "٢٠٢٦-01-01T10:00:00Z"},
    "deeply nested channelData": {"channelData": json.loads("[" * 200 + "]" * 200)},
}


def outcome(read: Any, body: dict[str, Any]) -> Any:
    """The Activity read from a copy of `body`, or the type of what it raised."""
    try:
        return read(copy.deepcopy(body))
    except (DeserializationError, RecursionError) as error:
        return type(error)


def assert_same_as_msrest(body: dict[str, Any]) -> None:
    ours, theirs = outcome(activity_from_body, body), outcome(Activity.deserialize, body)
    assert _equal(ours, theirs), f"{ours}\n!=\n{theirs}"


@pytest.mark.parametrize("name", list(corpus()))
def test_the_corpus_reads_as_msrest_reads_it(name: str) -> None:
    assert_same_as_msrest(corpus()[name])


@pytest.mark.parametrize("name", list(corpus()))
def test_the_corpus_needs_no_msrest(name: str) -> None:
    """The shapes channels send take the fast path (msrest's is the cost this module avoids)."""
    body = corpus()[name]
    activity = plain_activity(copy.deepcopy(body))
    assert activity is not None
    assert _equal(activity, Activity.deserialize(body))


@pytest.mark.parametrize("name", list(ODD))
def test_odd_values_read_or_fail_as_msrest_does(name: str) -> None:
    assert_same_as_msrest(ODD[name])


def test_msrest_errors_still_surface() -> None:
    with pytest.raises(DeserializationError):
        activity_from_body({"type": "message", "from": "user-1"})
    with pytest.raises(DeserializationError):
        activity_from_body({"timestamp": "yesterday"})


def test_the_body_is_left_as_it_was() -> None:
    body = everything_message()
    activity_from_body(body)
    assert body == everything_message()


def test_free_form_values_are_copies_as_with_msrest() -> None:
    """`channelData` and `value` are fresh containers; unknown keys keep the body's own values."""
    body = everything_message()
    activity = activity_from_body(body)
    assert activity.value == body["value"] and activity.value is not body["value"]
    assert activity.additional_properties["unknownTopLevel"] is body["unknownTopLevel"]


def test_several_fractional_digits_and_offsets() -> None:
    activity = activity_from_body(teams_message())
    assert activity.timestamp.microsecond == 123456
    assert activity.local_timestamp.utcoffset().total_seconds() == -8 * 3600
    assert activity.local_timestamp.tzname() == "-08:00"


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=10)
)
JUNK = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
"""A wrongly typed value: any JSON at all."""

DATETIMES = st.one_of(
    st.from_regex(
        r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?(Z|[+-][0-9]{2}:?[0-9]{2})?\Z"
    ),
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda moment: moment.isoformat()),
    st.datetimes().map(lambda moment: moment.isoformat(timespec="milliseconds") + "Z"),
    st.sampled_from(["2026-11-21T10:00:00.1234567Z", "2026-11-21T02:00:00.1234567-08:00", "2026-11-21"]),
)
VALID: dict[str, st.SearchStrategy[Any]] = {
    "str": st.text(max_size=12),
    "bool": st.booleans(),
    "int": st.integers(min_value=-(2**40), max_value=2**40),
    "float": st.floats(),
    "object": JUNK,
    "iso-8601": DATETIMES,
}


def values(data_type: str, depth: int = 0) -> st.SearchStrategy[Any]:
    """A value for an msrest type: mostly of the right shape, sometimes null, sometimes junk."""
    right = valid(data_type, depth)
    return st.one_of(right, right, right, right, st.none(), JUNK)


def valid(data_type: str, depth: int) -> st.SearchStrategy[Any]:
    if data_type in VALID:
        return VALID[data_type]
    if data_type.startswith("["):
        return st.lists(values(data_type[1:-1], depth + 1), max_size=3)
    if data_type.startswith("{"):
        return st.dictionaries(st.text(max_size=6), values(data_type[1:-1], depth + 1), max_size=2)
    model_class = Activity._infer_class_models()[data_type]
    if depth > 3:
        return st.just({})
    known = {
        description["key"]: values(description["type"], depth + 1)
        for description in model_class._attribute_map.values()
    }
    return st.tuples(
        st.fixed_dictionaries({}, optional=known), st.dictionaries(st.text(max_size=8), JUNK, max_size=2)
    ).map(lambda parts: {**parts[1], **parts[0]})


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(valid("Activity", 0))
def test_generated_activities_read_as_msrest_reads_them(body: dict[str, Any]) -> None:
    assert_same_as_msrest(body)
