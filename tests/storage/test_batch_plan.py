"""The order of a batch of storage calls: few groups, and each key's calls in the order they came."""

from __future__ import annotations

from storage.batch_plan import Call, Group, plan_batch


def read(*keys: str) -> Call:
    return Call(reads=True, keys=keys)


def change(*keys: str) -> Call:
    return Call(reads=False, keys=keys)


def test_reads_and_changes_of_different_keys_make_one_group_each() -> None:
    calls = [read("a"), change("b"), read("c"), change("d"), read("e")]
    assert plan_batch(calls) == [Group(True, [0, 2, 4]), Group(False, [1, 3])]


def test_a_read_queued_after_a_change_of_its_key_runs_after_it() -> None:
    assert plan_batch([change("a"), read("b", "a")]) == [Group(False, [0]), Group(True, [1])]


def test_a_change_queued_after_a_read_of_its_key_runs_after_it() -> None:
    calls = [read("a"), change("a"), read("b")]
    assert plan_batch(calls) == [Group(True, [0, 2]), Group(False, [1])]


def test_alternating_calls_of_one_key_keep_their_order() -> None:
    calls = [change("a"), read("a"), change("a"), read("a")]
    assert plan_batch(calls) == [Group(False, [0]), Group(True, [1]), Group(False, [2]), Group(True, [3])]


def test_changes_of_one_key_share_a_group_in_their_order() -> None:
    calls = [change("a"), change("b", "a"), read("c")]
    assert plan_batch(calls) == [Group(False, [0, 1]), Group(True, [2])]
