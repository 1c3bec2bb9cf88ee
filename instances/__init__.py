"""Several instances of the bot as one: conversation leases, interrupts between instances, and the
finishing of answers a stopped instance left, over Redis (see `redis_leases.py`).

`streaming.leases` holds the contract and the one-instance default. `RedisLeases` loads on first
use, so that reading the settings does not load the Redis client (only `STORAGE=redis` does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from on_first_use import attributes_on_first_use

from .settings import InstanceSettings

if TYPE_CHECKING:
    from .redis_leases import RedisLeases

__getattr__ = attributes_on_first_use(__name__, {"RedisLeases": ".redis_leases"})

__all__ = ["InstanceSettings", "RedisLeases"]
