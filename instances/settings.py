"""How the bot's instances on one Redis agree on who answers each conversation: the lease's timing."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InstanceSettings:
    """The conversation lease's timing, in seconds, named after their environment variables.

    An instance renews the leases it holds every `heartbeat_seconds`; a lease not renewed for
    `lease_seconds` lapses, and another instance finishes the answer its holder left. So an answer
    whose instance died ends within about `lease_seconds`, and a new message in that conversation
    waits that long at most. An instance that cannot renew for half the lease ends its answers.
    """

    lease_seconds: float = 10.0  # CONVERSATION_LEASE_SECONDS
    heartbeat_seconds: float = 3.0  # LEASE_HEARTBEAT_SECONDS
