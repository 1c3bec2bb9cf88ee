"""Activities from the channel's JSON, exactly as msrest's `Activity.deserialize` builds them, faster.

msrest rebuilds its table of model classes for every body, copies each attribute's description and
passes every value through several layers of type dispatch: that was most of the cost of answering
the channel's request. This reads each model's `_attribute_map` once per class and builds the same
objects. The wire carries plain shapes; for anything else (a value of a JSON type msrest would convert
or reject, a timestamp outside the common ISO 8601 form, flattened keys, polymorphic or validated
models, very deep nesting) the whole body goes to msrest, which builds it or raises its
`DeserializationError`. The one rule throughout: when in doubt, msrest decides.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, tzinfo
from functools import cache
from typing import Any

from botbuilder.schema import Activity
from isodate.tzinfo import UTC, FixedOffset
from msrest.serialization import Model

_Read = Callable[[Any], Any]

_MAX_OBJECT_DEPTH = 32
"""Nesting of a free-form (`object`) value beyond which msrest decides, down to running out of stack."""

_DATETIME = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?"
    r"(?:(Z)|([+-])([0-9]{2}):([0-9]{2}))?"
)
"""The timestamps channels send; msrest (through isodate) reads many more forms, and decides those."""


class _NotPlain(Exception):
    """The body needs msrest's own handling."""


def _refuse(_value: Any) -> Any:
    raise _NotPlain


def _str(value: Any) -> Any:
    if type(value) is str:
        return value
    raise _NotPlain  # msrest writes numbers, lists and objects out as strings


def _bool(value: Any) -> Any:
    if type(value) is bool:
        return value
    raise _NotPlain  # msrest takes 0, 1, "true", "0"... and rejects the rest


def _int(value: Any) -> Any:
    if type(value) is int:
        return value
    raise _NotPlain  # msrest calls int() on it: truncates floats, parses strings


def _float(value: Any) -> Any:
    if type(value) is float:
        return value
    raise _NotPlain  # msrest calls float() on it


def _object(value: Any, depth: int = 0) -> Any:
    """A free-form value: msrest copies JSON containers and keeps their scalars as they are."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is float or kind is bool:
        return value
    if depth < _MAX_OBJECT_DEPTH:
        if kind is dict:
            return {key: _object(item, depth + 1) for key, item in value.items()}
        if kind is list:
            return [_object(item, depth + 1) for item in value]
    raise _NotPlain


@cache
def _offset(sign: str, hours: str, minutes: str) -> FixedOffset:
    """isodate's time zone for an offset such as -08:00, made once per offset: nothing in it changes."""
    hour_count, minute_count = int(hours), int(minutes)
    if hour_count > 23 or minute_count > 59:
        raise _NotPlain  # msrest either rejects it or folds the minutes into hours
    if sign == "-":
        hour_count, minute_count = -hour_count, -minute_count
    return FixedOffset(hour_count, minute_count, f"{sign}{hours}:{minutes}")


def _datetime(value: Any) -> datetime:
    """An `iso-8601` value as msrest's `deserialize_iso` reads it (through isodate) in its common form."""
    match = _DATETIME.fullmatch(value) if type(value) is str else None
    if match is None:
        raise _NotPlain
    year, month, day, hour, minute, second, fraction, utc, sign, tz_hours, tz_minutes = match.groups()
    zone: tzinfo | None = None
    if utc:
        zone = UTC
    elif sign:
        zone = _offset(sign, tz_hours, tz_minutes)
    # msrest keeps the first six digits of the fraction, isodate rounds down to the microsecond.
    microsecond = int(fraction[:6].ljust(6, "0")) if fraction else 0
    if year in ("0001", "9999"):
        raise _NotPlain  # msrest rejects dates that leave years 1-9999 in UTC
    try:
        return datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second), microsecond, zone
        )
    except ValueError:
        raise _NotPlain from None  # isodate reads month 00 as January; msrest rejects the rest


def _list_of(read: _Read) -> _Read:
    def read_list(value: Any) -> list[Any]:
        if type(value) is not list:
            raise _NotPlain
        return [None if item is None else read(item) for item in value]

    return read_list


def _dict_of(read: _Read) -> _Read:
    def read_dict(value: Any) -> dict[str, Any]:
        if type(value) is not dict:
            raise _NotPlain  # msrest reads a list of {key, value} pairs as a dict, and rejects the rest
        return {key: None if item is None else read(item) for key, item in value.items()}

    return read_dict


class _ModelPlan:
    """How to read one model class: its JSON keys with (attribute, reader), and a blank object's state."""

    def __init__(self, fields: dict[str, tuple[str, _Read]], blank: dict[str, None]) -> None:
        self.fields = fields
        self.blank = blank


def _blank_state(model_class: type[Model]) -> dict[str, None] | None:
    """The state the constructor leaves with no arguments, if all it does is store its arguments.

    Then an object whose state is written directly is the one the constructor would build (with half the
    cost for an Activity); otherwise None, and msrest builds it.
    """
    attributes = list(model_class._attribute_map)
    markers = {attribute: object() for attribute in attributes}
    if model_class.__new__ is not object.__new__:
        return None
    try:
        blank, marked = vars(model_class()), vars(model_class(**markers))
    except TypeError:
        return None
    if blank != {"additional_properties": {}, **dict.fromkeys(attributes)}:
        return None
    if marked.keys() != blank.keys() or any(marked[name] is not marker for name, marker in markers.items()):
        return None
    return dict.fromkeys(blank)


@cache
def _plan(model_class: type[Model]) -> _ModelPlan | None:
    """How to read `model_class`; None if it needs msrest's rules."""
    attribute_map: dict[str, dict[str, Any]] = model_class._attribute_map
    if (
        "additional_properties" in attribute_map
        or model_class.__dict__.get("_subtype_map")
        or any(rule for rule in getattr(model_class, "_validation", {}).values())
    ):
        return None  # declared additional properties, polymorphic subtypes, validation
    fields = {}
    for attribute, description in attribute_map.items():
        key = description["key"]
        if not key or "." in key or "\\" in key or key in fields:
            return None  # flattened, escaped or shared keys
        fields[key] = (attribute, _reader(description["type"]))
    blank = _blank_state(model_class)
    return None if blank is None else _ModelPlan(fields, blank)


def _model(model_class: type[Model]) -> _Read:
    def read_model(value: Any) -> Model:
        plan = _plan(model_class)
        if plan is None or type(value) is not dict:
            raise _NotPlain
        fields = plan.fields
        state = plan.blank.copy()
        # As msrest: the unknown keys with their values as they are, not copied.
        additional_properties = {}
        for key, item in value.items():
            field = fields.get(key)
            if field is None:
                additional_properties[key] = item
            elif item is not None:
                state[field[0]] = field[1](item)
        state["additional_properties"] = additional_properties
        model = object.__new__(model_class)
        model.__dict__ = state
        return model

    return read_model


@cache
def _models() -> dict[str, Any]:
    """The classes msrest resolves type names against when it reads an Activity."""
    return Activity._infer_class_models()


_SIMPLE_READERS: dict[str, _Read] = {
    "str": _str,
    "bool": _bool,
    "int": _int,
    "float": _float,
    "object": _object,
    "iso-8601": _datetime,
}


@cache
def _reader(data_type: str) -> _Read:
    """The reader of one msrest type name; one that refuses for every type it does not reproduce."""
    if data_type in _SIMPLE_READERS:
        return _SIMPLE_READERS[data_type]
    if len(data_type) > 2 and data_type[0] + data_type[-1] == "[]":
        return _list_of(_reader(data_type[1:-1]))
    if len(data_type) > 2 and data_type[0] + data_type[-1] == "{}":
        return _dict_of(_reader(data_type[1:-1]))
    model_class = _models().get(data_type)
    if isinstance(model_class, type) and issubclass(model_class, Model):
        return _model(model_class)
    return _refuse  # dates, durations, bytes, enums, unknown names


def plain_activity(body: Any) -> Activity | None:
    """The Activity msrest would build from `body`, or None when the body needs msrest's own handling."""
    try:
        return _reader("Activity")(body)
    except _NotPlain:
        return None


def activity_from_body(body: Any) -> Activity:
    """What `Activity.deserialize(body)` returns, or raises, for a JSON object the channel posted."""
    activity = plain_activity(body)
    return Activity.deserialize(body) if activity is None else activity
