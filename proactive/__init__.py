"""Proactive messages: the bot speaks first, when an operator or another service asks it to.

SDK-free: the conversations' references in the state storage (`references`), the notification API
(`endpoint`, `notify_request`) and its jobs (`notifier`, `jobs`). The host says how a notification
reaches a conversation: `bots/proactive_turns.py` on botbuilder; `bots/conversation_references.py`
keeps the references as turns come.
"""

from .endpoint import NotifyEndpoint
from .jobs import JobRecords, NotifyJob
from .notification import Delivery, Notification, operator_question
from .notifier import SHUTDOWN_REASON, Notifier
from .notify_request import BadNotifyRequest, NotifyRequest, read_notify_request
from .references import ConversationReferences, Reference
from .settings import NotifySettings

__all__ = [
    "SHUTDOWN_REASON",
    "BadNotifyRequest",
    "ConversationReferences",
    "Delivery",
    "JobRecords",
    "Notification",
    "Notifier",
    "NotifyEndpoint",
    "NotifyJob",
    "NotifyRequest",
    "NotifySettings",
    "Reference",
    "operator_question",
    "read_notify_request",
]
