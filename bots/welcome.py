"""The welcome: an Adaptive Card with what to try, and suggested actions where the channel shows them.

Suggested actions (imBack buttons that send their text as the user's message) go in a message of
their own after the card, because Teams shows none on a message that has attachments. They are
sent on Web Chat, Direct Line and the Emulator (Web Chat draws them above the input box) and in
Teams personal chats (shown as "smart replies", at most three). Not in Teams group chats and
channels: a button's message would carry no @mention there, so the bot would ignore it.
"""

from __future__ import annotations

from typing import Any

from botbuilder.core import CardFactory, MessageFactory
from botbuilder.schema import ActionTypes, Activity, Attachment, CardAction, SuggestedActions
from botframework.connector import Channels

from channels import is_group_conversation

SAMPLE_QUESTION = "Explain how a rainbow forms, in two sentences"
SUGGESTIONS = ["help", "settings", SAMPLE_QUESTION]  # Teams shows the first three only.
SUGGESTIONS_TEXT = "Pick one to start, or just type your question."
OFFLINE_NOTE = "No model is configured yet, so a built-in offline stand-in answers for now."
SUGGESTED_ACTION_CHANNELS = frozenset({Channels.webchat, Channels.direct_line, Channels.emulator})


def shows_suggested_actions(activity: Activity) -> bool:
    """Whether the channel of `activity` draws suggested actions for this conversation."""
    if activity.channel_id == Channels.ms_teams:
        return not is_group_conversation(activity)
    return activity.channel_id in SUGGESTED_ACTION_CHANNELS


def welcome_card(*, offline: bool, group: bool) -> Attachment:
    """The card: what the bot does and what to try."""
    ask = "Mention me (@) with your question" if group else "Ask me anything"
    tries = [
        f"- {ask}, for example: *{SAMPLE_QUESTION}*",
        "- **settings**: choose how I answer (style, your own instructions, creativity)",
        "- **reset**: forget our conversation and start over",
        "- **help**: what I can do, at any time",
    ]
    body: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": "Hi! I'm your chat assistant.", "size": "Medium", "weight": "Bolder"},
        {
            "type": "TextBlock",
            "text": "I answer with a language model, and you can watch each answer being written.",
            "wrap": True,
        },
        {"type": "TextBlock", "text": "Things to try:", "weight": "Bolder", "spacing": "Medium"},
        {"type": "TextBlock", "text": "\n".join(tries), "wrap": True},
    ]
    if offline:
        body.append({"type": "TextBlock", "text": OFFLINE_NOTE, "wrap": True, "isSubtle": True})
    return CardFactory.adaptive_card(
        {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "fallbackText": f"Hi! {ask}; send help to see what I can do.",
            "body": body,
        }
    )


def welcome_activities(activity: Activity, *, offline: bool) -> list[Activity]:
    """What to send to welcome the members that `activity` (a conversation update) added."""
    group = is_group_conversation(activity)
    welcome = [MessageFactory.attachment(welcome_card(offline=offline, group=group))]
    if shows_suggested_actions(activity):
        suggestions = MessageFactory.text(SUGGESTIONS_TEXT)
        suggestions.suggested_actions = SuggestedActions(
            actions=[CardAction(type=ActionTypes.im_back, title=text, value=text) for text in SUGGESTIONS]
        )
        welcome.append(suggestions)
    return welcome
