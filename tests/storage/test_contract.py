"""The botbuilder `Storage` contract, the same for every backend: memory, SQLite, Redis, Azure Blob."""

from __future__ import annotations

import pytest
from botbuilder.core import StoreItem

from storage import ClosableStorage, StorageConflictError
from storage.items import CREATE_ONLY
from tests.storage.conftest import OpenStorage

STATE = {
    "history": [{"role": "user", "content": "Grüße, 世界 🌍"}, {"role": "assistant", "content": ""}],
    "count": 3,
    "ratio": 0.25,
    "flags": {"greeted": True, "muted": False, "topic": None},
}

# Keys as the SDK builds them from real channels' ids (Teams, Emulator, Web Chat).
CHANNEL_KEYS = [
    "msteams/conversations/19:meeting_Y2E4@thread.v2;messageid=1712345678901",
    "emulator/conversations/3f1c2a90-7b1e-11ef-9a3c-5b2d9f0e8c41|livechat",
    "webchat/users/dl_9a8b7c6d5e4f/ä ö+%20?#x",
]


def without_etag(item: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in item.items() if key != "e_tag"}


async def test_reading_missing_keys_returns_nothing_for_them(storage: ClosableStorage) -> None:
    await storage.write({"present": {"n": 1}})
    found = await storage.read(["absent", "present", "also-absent"])
    assert list(found) == ["present"]
    assert await storage.read([]) == {}


async def test_a_dict_comes_back_equal_with_an_etag(storage: ClosableStorage) -> None:
    await storage.write({"conversation": STATE})
    item = (await storage.read(["conversation"]))["conversation"]
    assert without_etag(item) == STATE
    assert isinstance(item["e_tag"], str)
    assert item["e_tag"] not in ("", "*")


async def test_a_store_item_comes_back_as_a_store_item(storage: ClosableStorage) -> None:
    await storage.write({"user": StoreItem(name="Ada", visits=2)})
    item = (await storage.read(["user"]))["user"]
    assert isinstance(item, StoreItem)
    assert (item.name, item.visits) == ("Ada", 2)
    assert item.e_tag


async def test_items_survive_a_restart(open_storage: OpenStorage) -> None:
    await open_storage().write({"conversation": STATE})
    item = (await open_storage().read(["conversation"]))["conversation"]
    assert without_etag(item) == STATE


async def test_keys_from_real_channels_are_kept_apart(storage: ClosableStorage) -> None:
    await storage.write({key: {"key": key} for key in CHANNEL_KEYS})
    found = await storage.read(CHANNEL_KEYS)
    assert {key: item["key"] for key, item in found.items()} == {key: key for key in CHANNEL_KEYS}


async def test_changing_what_was_read_does_not_change_storage(storage: ClosableStorage) -> None:
    await storage.write({"k": {"items": [1]}})
    (await storage.read(["k"]))["k"]["items"].append(2)
    assert (await storage.read(["k"]))["k"]["items"] == [1]


async def test_delete_removes_items_and_ignores_missing_ones(storage: ClosableStorage) -> None:
    await storage.write({"a": {"n": 1}, "b": {"n": 2}})
    await storage.delete({"a", "never-written"})  # BotState.delete passes a set.
    assert list(await storage.read(["a", "b"])) == ["b"]


async def test_every_write_gives_a_new_etag(storage: ClosableStorage) -> None:
    etags = []
    for n in range(3):
        item = (await storage.read(["k"])).get("k", {})
        await storage.write({"k": {**item, "n": n}})
        etags.append((await storage.read(["k"]))["k"]["e_tag"])
    assert len(set(etags)) == 3


async def test_a_write_with_the_current_etag_succeeds(storage: ClosableStorage) -> None:
    await storage.write({"k": {"n": 1}})
    item = (await storage.read(["k"]))["k"]
    await storage.write({"k": {**item, "n": 2}})
    assert (await storage.read(["k"]))["k"]["n"] == 2


async def test_a_written_item_carries_its_new_etag(storage: ClosableStorage) -> None:
    # BotState saves the same dict again later without reading it: its eTag must be the stored one.
    item: dict[str, object] = {"n": 1, "e_tag": CREATE_ONLY}
    await storage.write({"k": item})
    assert item["e_tag"] == (await storage.read(["k"]))["k"]["e_tag"]
    item["n"] = 2
    await storage.write({"k": item})
    stored = (await storage.read(["k"]))["k"]
    assert stored["n"] == 2
    assert item["e_tag"] == stored["e_tag"]
    store_item = StoreItem(n=1, e_tag=stored["e_tag"])
    await storage.write({"k": store_item})
    assert store_item.e_tag == (await storage.read(["k"]))["k"].e_tag


async def test_an_item_written_to_overwrite_is_left_as_it_was(storage: ClosableStorage) -> None:
    star: dict[str, object] = {"n": 1, "e_tag": "*"}
    plain: dict[str, object] = {"n": 1}
    await storage.write({"star": star, "plain": plain})
    assert star == {"n": 1, "e_tag": "*"}
    assert plain == {"n": 1}


async def test_a_write_with_a_stale_etag_is_refused(storage: ClosableStorage) -> None:
    await storage.write({"k": {"n": 1}})
    mine = (await storage.read(["k"]))["k"]
    theirs = (await storage.read(["k"]))["k"]
    await storage.write({"k": {**theirs, "n": 2}})

    with pytest.raises(StorageConflictError) as refused:
        await storage.write({"k": {**mine, "n": 3}})
    assert isinstance(refused.value, KeyError)  # What SDK code catches for MemoryStorage's conflicts.
    assert "'k'" in str(refused.value)
    assert (await storage.read(["k"]))["k"]["n"] == 2


async def test_a_store_item_with_a_stale_etag_is_refused(storage: ClosableStorage) -> None:
    await storage.write({"k": StoreItem(n=1)})
    stale = (await storage.read(["k"]))["k"]
    await storage.write({"k": StoreItem(n=2)})
    stale.n = 3
    with pytest.raises(StorageConflictError):
        await storage.write({"k": stale})
    assert (await storage.read(["k"]))["k"].n == 2


async def test_star_overwrites_whatever_is_stored(storage: ClosableStorage) -> None:
    await storage.write({"k": {"n": 1}})
    await storage.write({"k": {"n": 2, "e_tag": "*"}})
    assert (await storage.read(["k"]))["k"]["n"] == 2


async def test_no_etag_overwrites_whatever_is_stored(storage: ClosableStorage) -> None:
    await storage.write({"k": {"n": 1}})
    await storage.write({"k": {"n": 2}})
    assert (await storage.read(["k"]))["k"]["n"] == 2


async def test_a_write_with_an_etag_to_a_deleted_item_is_refused(storage: ClosableStorage) -> None:
    await storage.write({"k": {"n": 1}})
    item = (await storage.read(["k"]))["k"]
    await storage.delete(["k"])
    with pytest.raises(StorageConflictError):
        await storage.write({"k": {**item, "n": 2}})
    assert await storage.read(["k"]) == {}


async def test_create_only_creates_once(storage: ClosableStorage) -> None:
    await storage.write({"k": {"n": 1, "e_tag": CREATE_ONLY}})
    with pytest.raises(StorageConflictError):
        await storage.write({"k": {"n": 2, "e_tag": CREATE_ONLY}})
    assert (await storage.read(["k"]))["k"]["n"] == 1


async def test_an_empty_etag_is_an_error(storage: ClosableStorage) -> None:
    with pytest.raises(ValueError, match="e_tag is empty"):
        await storage.write({"k": {"n": 1, "e_tag": ""}})
