"""Stored items: an object whose class this environment cannot import survives a read and a write."""

from __future__ import annotations

import json

from storage import StorageSettings
from storage.items import ForeignObject, decode, encode


def test_an_object_of_a_class_that_cannot_be_imported_is_written_back_as_it_was_stored() -> None:
    """The Agents SDK host reads botbuilder's DialogState without botbuilder, and saves it again."""
    stored = {
        "history": [{"role": "user", "content": "Hi"}],
        "DialogState": {"py/object": "nowhere.dialogs.DialogState", "_dialog_stack": [{"id": "main"}]},
    }
    item = decode(json.dumps(stored), "etag-1")

    assert isinstance(item, dict) and isinstance(item["DialogState"], ForeignObject)
    assert item["history"] == stored["history"]
    assert json.loads(encode(item)) == stored


def test_objects_of_classes_that_can_be_imported_still_come_back_as_themselves() -> None:
    item = decode(encode({"settings": StorageSettings(kind="memory")}), "etag-1")
    assert isinstance(item, dict)
    assert item["settings"] == StorageSettings(kind="memory")
