"""Per-user limits, each answered with a polite reply instead of a model call.

SDK-free: each host asks `UserLimits.refusal` in its own middleware (`safety.limits` for botbuilder).
Where the counts live is `user_limits_for`'s choice: in this process, or, with `STORAGE=redis`, in
Redis, where every instance of the bot counts the same messages and answers (`shared_limits.py`).
"""

from __future__ import annotations

import logging

from storage import StorageSettings
from streaming import ConversationScheduler

from .settings import SafetySettings
from .user_counts import CountsHere, RunningAnswers, UserCounts

logger = logging.getLogger(__name__)

TOO_LONG_REPLY = "Your message is {length:,} characters long; I can read up to {limit:,}. Please shorten it."
TOO_FAST_REPLY = "You're sending messages faster than I can answer them. Please wait a few seconds."
BUSY_REPLY = (
    "I'm still answering your questions in other chats. Please wait until one of those answers is finished."
)


class UserLimits:
    """Message length cap, a per-user rate limit (token bucket), and a cap on a user's answers at once.

    A user may interrupt their own answer with a new message in the same conversation (that is how
    the bot works), but not start more than `max_answers_per_user` answers at once across conversations.
    `running_answers` is where the host must count each answer it runs, when this process alone does
    not see them all (None: the scheduler sees every answer).
    """

    def __init__(
        self, settings: SafetySettings, counts: UserCounts, running_answers: RunningAnswers | None = None
    ) -> None:
        self._max_chars = settings.max_message_chars
        self._max_answers = settings.max_answers_per_user
        self._counts = counts
        self.running_answers = running_answers

    async def refusal(self, user: str, text: str | None, conversation_key: str) -> str | None:
        """The reply refusing `user`'s message in the conversation `conversation_key`; None: it may pass.

        Raises `storage.StorageUnavailableError` when the shared counts cannot be reached: the host's
        turn error handler tells the user as it does for any storage outage.
        """
        length = len(text or "")
        if length > self._max_chars:
            logger.info("refused a message over the length limit (%d characters)", length)
            return TOO_LONG_REPLY.format(length=length, limit=self._max_chars)
        count = await self._counts.count(user, conversation_key)
        if not count.within_rate:
            logger.info("refused a message over the user's rate limit")
            return TOO_FAST_REPLY
        if count.answers_elsewhere >= self._max_answers:
            logger.info("refused a message while the user's answers run in other conversations")
            return BUSY_REPLY
        return None

    async def close(self) -> None:
        """Release the connection to the shared counts, if any."""
        await self._counts.close()


def user_limits_for(
    settings: SafetySettings, storage: StorageSettings, scheduler: ConversationScheduler
) -> UserLimits:
    """The limits counted where the conversation state is shared: in Redis with `STORAGE=redis`, so
    that they hold across instances; in this process otherwise (one instance, or `blob`, whose
    storage has nothing to count with: each instance then applies them on its own)."""
    if storage.kind == "redis":
        from .shared_limits import RedisLimits  # loaded only when used, as the storage's Redis client

        shared = RedisLimits(storage.redis_url, key_prefix=storage.redis_key_prefix, settings=settings)
        return UserLimits(settings, shared, running_answers=shared)
    return UserLimits(settings, CountsHere(settings, scheduler))
