"""Finding and removing the bot's @mention, whatever shape the entities come in."""

from __future__ import annotations

from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, Entity, Mention

from bots.mentions import mentions_recipient, remove_recipient_mention
from channels import is_group_conversation
from dialogs.group_chat import attributed

BOT = ChannelAccount(id="bot-1", name="Helper (beta+)")
AT_BOT = "<at>Helper (beta+)</at>"


def from_json(text: str, entities: list[dict], recipient: dict | None = None) -> Activity:
    """An activity as the adapter reads it from the channel's JSON."""
    body = {"type": "message", "text": text, "entities": entities}
    if recipient is not None:
        body["recipient"] = recipient
    return Activity.deserialize(body)


def bot_mention(name: str = "Helper (beta+)") -> dict:
    return {"type": "mention", "text": f"<at>{name}</at>", "mentioned": {"id": "bot-1", "name": name}}


def test_a_mention_read_from_json_is_found_and_removed_even_with_regex_characters() -> None:
    activity = from_json(f"{AT_BOT} what is (1+1)?", [bot_mention()], {"id": "bot-1"})
    assert mentions_recipient(activity)
    assert remove_recipient_mention(activity) == "what is (1+1)?"


def test_a_mention_object_in_the_middle_is_removed() -> None:
    mention = Mention(mentioned=BOT, text=AT_BOT, type="mention")
    activity = Activity(
        type="message", text=f"hey {AT_BOT}  can you help?", entities=[mention], recipient=BOT
    )
    assert mentions_recipient(activity)
    assert remove_recipient_mention(activity) == "hey can you help?"


def test_a_mention_without_text_is_removed_by_name() -> None:
    entity = {"type": "mention", "mentioned": {"id": "bot-1", "name": "Helper"}}
    activity = from_json("<at>helper</at> hi", [entity], {"id": "bot-1"})
    assert remove_recipient_mention(activity) == "hi"


def test_mentions_of_other_people_are_neither_the_bot_nor_removed() -> None:
    other = {"type": "mention", "text": "<at>Ana</at>", "mentioned": {"id": "user-2", "name": "Ana"}}
    activity = from_json("<at>Ana</at> look", [other], {"id": "bot-1"})
    assert not mentions_recipient(activity)
    activity = from_json(f"{AT_BOT} ask <at>Ana</at>", [bot_mention(), other], {"id": "bot-1"})
    assert remove_recipient_mention(activity) == "ask <at>Ana</at>"


def test_no_recipient_no_entities_or_other_entities_mean_no_mention() -> None:
    assert not mentions_recipient(from_json(f"{AT_BOT} hi", [bot_mention()]))  # no recipient: no crash
    assert remove_recipient_mention(from_json("hi", [bot_mention()])) == "hi"
    assert not mentions_recipient(Activity(type="message", text="hi", recipient=BOT))
    clientinfo = Entity(type="clientInfo")
    assert not mentions_recipient(Activity(type="message", text="hi", entities=[clientinfo], recipient=BOT))


def test_group_conversations_and_attribution() -> None:
    sender = ChannelAccount(id="user-2", name="Ana")
    for conversation in (
        ConversationAccount(id="c", conversation_type="groupChat"),
        ConversationAccount(id="c", conversation_type="channel"),
        ConversationAccount(id="c", is_group=True),
    ):
        activity = Activity(conversation=conversation, from_property=sender)
        assert is_group_conversation(activity)
        assert attributed(activity, "hi") == "Ana: hi"
    personal = Activity(
        conversation=ConversationAccount(id="c", conversation_type="personal"), from_property=sender
    )
    assert not is_group_conversation(personal)
    assert attributed(personal, "hi") == "hi"
    nameless = Activity(
        conversation=ConversationAccount(id="c", is_group=True), from_property=ChannelAccount(id="29:x")
    )
    assert attributed(nameless, "hi") == "29:x: hi"
