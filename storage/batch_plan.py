"""The order in which a batch of storage calls runs: few groups of reads and of changes, same outcome.

A batch is calls that were pending together, so any order of them is one they could have run in;
still, a call sees every earlier-queued change of its keys, and a change never reaches an
earlier-queued read of its keys, as if they had run one by one in the order they arrived. Within
that rule each call joins the earliest group it can, so a batch mixing reads and writes of different
conversations runs as one read group and one change group rather than one group per switch.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import NamedTuple


class Call(NamedTuple):
    """What the plan needs of a call: whether it only reads, and the keys it touches."""

    reads: bool
    keys: Collection[str]


class Group(NamedTuple):
    """Calls to run together, by their index in the batch, in order: all reads, or all changes."""

    reads: bool
    calls: list[int]


def plan_batch(calls: Sequence[Call]) -> list[Group]:
    """The batch's calls as groups to run one after another; reads and changes alternate."""
    groups: list[Group] = []
    last_change: dict[str, int] = {}  # key -> index of the last group that changes it
    last_touch: dict[str, int] = {}  # key -> index of the last group that reads or changes it
    for index, call in enumerate(calls):
        # A read must follow the changes of its keys; a change must follow every use of its keys.
        after = last_change if call.reads else last_touch
        earliest = max((after.get(key, -1) for key in call.keys), default=-1)
        target = _first_group(groups, call.reads, earliest if not call.reads else earliest + 1)
        groups[target].calls.append(index)
        for key in call.keys:
            last_touch[key] = max(last_touch.get(key, -1), target)
            if not call.reads:
                last_change[key] = max(last_change.get(key, -1), target)
    return groups


def _first_group(groups: list[Group], reads: bool, start: int) -> int:
    """Index of the first group of this kind at or after `start`, appended if there is none."""
    for index in range(max(start, 0), len(groups)):
        if groups[index].reads == reads:
            return index
    groups.append(Group(reads, []))
    return len(groups) - 1
