"""Plain JSON data to and from the model's dataclasses, driven by their type hints.

One codec for everything that leaves memory (the store, scan JSON, the report's re-render), so there
is no parallel tree of serialiser classes to keep in step with ``model.py``.

Rules: dataclasses become objects keyed by field name, enums their value, datetimes ISO 8601 with
their offset, tuples lists, mappings objects. ``decode`` is the inverse and ignores unknown keys, so
a newer file still loads in an older lookalike; missing keys take the field's default.

``decode`` is also the schema check: a value that does not fit its type (a number where a string
belongs, an object where a list belongs, null where nothing is optional, an unknown enum value, a
date that is not ISO 8601, a missing required field) raises ``DecodeError`` naming where it is
(``registration.created``) and what was wrong (``expected a date, got 42``); it never coerces (a
string is not a list of characters).
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, Union, get_args, get_origin

T = TypeVar("T")

JSON = Any
"""A value json.dumps accepts: dict, list, str, int, float, bool or None."""


def encode(obj: object) -> JSON:
    """The JSON-ready form of a model object (or any mix of dataclasses, enums, containers)."""
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: encode(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): encode(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        items = sorted(obj, key=str) if isinstance(obj, set | frozenset) else obj
        return [encode(v) for v in items]
    raise TypeError(f"cannot encode {type(obj).__name__}")


class DecodeError(ValueError):
    """A value that does not fit its type: ``path`` says where (field names and list indexes from the
    value ``decode`` was given), ``reason`` what was wrong."""

    def __init__(self, reason: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(reason, path)
        self.reason = reason
        self.path = path

    def within(self, step: str | int) -> DecodeError:
        """The same error one level further out (``step`` is the field or index it was under)."""
        return DecodeError(self.reason, (step, *self.path))

    @property
    def where(self) -> str:
        """The path as one would write it: ``registration.created``, ``hosts[0].port``."""
        out = ""
        for step in self.path:
            out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
        return out

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}" if self.path else self.reason


def got(data: object) -> str:
    """A JSON value as an error names it: ``42``, ``null``, ``an object``, ``'text'`` (capped)."""
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, Mapping):
        return "an object"
    if isinstance(data, list | tuple):
        return "a list"
    text = repr(data)
    return text if len(text) <= 40 else text[:37] + "..."


def field_type(cls: type, name: str) -> Any:
    """The type hint of field ``name`` of dataclass ``cls`` (resolved, cached)."""
    return _hints(cls)[name]


def decode(tp: type[T] | Any, data: JSON) -> T:
    """Rebuild a value of type ``tp`` (a dataclass, enum, container or union) from ``encode``'s output.

    Raises ``DecodeError`` (a ``ValueError``) naming the field when ``data`` does not fit ``tp``.
    """
    key: Any = tp  # type objects and generic aliases are hashable: decoders are cached per type
    result: T = _decoder(key)(data)
    return result


Decoder = Callable[[Any], Any]


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _bind(tp: Any, bindings: tuple[tuple[Any, Any], ...]) -> Any:
    """Substitute type variables (``Outcome[T]``'s ``T``) with what the caller asked for."""
    if isinstance(tp, TypeVar):
        return dict(bindings).get(tp, Any)
    args = get_args(tp)
    if not args or not bindings:
        return tp
    bound = tuple(_bind(a, bindings) for a in args)
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return functools.reduce(operator.or_, bound)
    return tp.copy_with(bound) if hasattr(tp, "copy_with") else origin[bound]


@cache
def _decoder(tp: Any) -> Decoder:
    """A decoding function for one type, built once: decoding a large scan is a hot path."""
    if tp is Any:
        return _identity
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (Union, types.UnionType):
        return _union(tp, args)
    if origin is tuple:
        return _tuple(tp, args)
    if origin in (list, set, frozenset):
        item = _decoder(args[0])
        return functools.partial(_items, origin, item)
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        key, value = (_decoder(a) for a in (args or (Any, Any)))
        return functools.partial(_mapping, key, value)
    cls = origin or tp
    if dataclasses.is_dataclass(cls) and isinstance(cls, type):
        return _dataclass(cls, args)
    if isinstance(cls, type) and issubclass(cls, Enum):
        return functools.partial(_enum, cls)
    if cls is datetime:
        return _datetime
    if cls is Path:
        return _path
    if cls is float:
        return _float
    if cls in (int, str, bool):
        return functools.partial(_exact, cls)
    if cls is type(None):
        return _none
    raise TypeError(f"cannot decode into {tp}")


def _identity(data: Any) -> Any:
    return data


def _each(item: Decoder, data: Any) -> Any:
    """``item`` over the elements of list ``data``, naming the index of one that does not fit."""
    if not isinstance(data, list | tuple):
        raise DecodeError(f"expected a list, got {got(data)}")
    out = []
    for i, v in enumerate(data):
        try:
            out.append(item(v))
        except DecodeError as exc:
            raise exc.within(i) from None
    return out


def _items(kind: Callable[[Any], Any], item: Decoder, data: Any) -> Any:
    return kind(_each(item, data))


def _mapping(key: Decoder, value: Decoder, data: Any) -> dict[Any, Any]:
    if not isinstance(data, Mapping):
        raise DecodeError(f"expected an object, got {got(data)}")
    out = {}
    for k, v in data.items():
        try:
            out[key(k)] = value(v)
        except DecodeError as exc:
            raise exc.within(str(k)) from None
    return out


def _enum(cls: type[Enum], data: Any) -> Enum:
    try:
        return cls(data)
    except ValueError:
        values = ", ".join(str(m.value) for m in cls)
        raise DecodeError(f"expected one of {values}; got {got(data)}") from None


def _path(data: Any) -> Path:
    if not isinstance(data, str):
        raise DecodeError(f"expected a path, got {got(data)}")
    return Path(data)


def _union(tp: Any, args: tuple[Any, ...]) -> Decoder:
    optional = type(None) in args
    members = [_decoder(a) for a in args if a is not type(None)]

    def decode_union(data: Any) -> Any:
        if data is None and optional:
            return None
        errors: list[DecodeError] = []
        for member in members:
            try:
                return member(data)
            except DecodeError as exc:
                errors.append(exc)
        if len(errors) == 1:  # T | None: T's own error, with its path
            raise errors[0]
        raise DecodeError(f"expected {_describe(tp)}, got {got(data)}")

    return decode_union


def _tuple(tp: Any, args: tuple[Any, ...]) -> Decoder:
    if len(args) == 2 and args[1] is Ellipsis:
        return functools.partial(_items, tuple, _decoder(args[0]))
    items = [_decoder(a) for a in args]

    def decode_fixed(data: Any) -> tuple[Any, ...]:
        if not isinstance(data, list | tuple):
            raise DecodeError(f"expected a list of {len(items)}, got {got(data)}")
        if len(data) != len(items):
            raise DecodeError(f"expected a list of {len(items)}, got a list of {len(data)}")
        out = []
        for i, (f, v) in enumerate(zip(items, data, strict=True)):
            try:
                out.append(f(v))
            except DecodeError as exc:
                raise exc.within(i) from None
        return tuple(out)

    return decode_fixed


def _dataclass(cls: type, args: tuple[Any, ...]) -> Decoder:
    params = getattr(cls, "__parameters__", ())
    bindings = tuple(zip(params, args, strict=False))
    hints = _hints(cls)
    fields = [(f.name, _decoder(_bind(hints[f.name], bindings))) for f in dataclasses.fields(cls)]
    required = [
        f.name
        for f in dataclasses.fields(cls)
        if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    ]

    def decode_dataclass(data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise DecodeError(f"expected an object, got {got(data)}")
        values = {}
        for name, field in fields:
            if name in data:
                try:
                    values[name] = field(data[name])
                except DecodeError as exc:
                    raise exc.within(name) from None
        for name in required:
            if name not in values:
                raise DecodeError("missing", (name,))
        try:
            return cls(**values)
        except (TypeError, ValueError) as exc:  # a model's own check of its values
            raise DecodeError(str(exc)) from None

    return decode_dataclass


def _datetime(data: Any) -> datetime:
    if isinstance(data, str):
        try:
            return datetime.fromisoformat(data)
        except ValueError:
            pass
    raise DecodeError(f"expected a date (ISO 8601), got {got(data)}")


def _float(data: Any) -> float:
    if isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    raise DecodeError(f"expected a number, got {got(data)}")


_NAMES = {int: "a whole number", str: "a string", bool: "true or false"}


def _exact(kind: type, data: Any) -> Any:
    if type(data) is kind:
        return data
    raise DecodeError(f"expected {_NAMES[kind]}, got {got(data)}")


def _none(data: Any) -> None:
    if data is not None:
        raise DecodeError(f"expected null, got {got(data)}")


def _describe(tp: Any) -> str:
    """A type as an error names it: "a string or a whole number"."""
    if get_origin(tp) in (Union, types.UnionType):
        return " or ".join(_describe(a) for a in get_args(tp) if a is not type(None))
    origin = get_origin(tp) or tp
    if origin in (list, tuple, set, frozenset):
        return "a list"
    if origin in (dict, Mapping) or (isinstance(origin, type) and dataclasses.is_dataclass(origin)):
        return "an object"
    if isinstance(origin, type) and issubclass(origin, Enum):
        return "one of " + ", ".join(str(m.value) for m in origin)
    return {datetime: "a date", float: "a number", Path: "a path", type(None): "null"}.get(
        origin, _NAMES.get(origin, str(tp))
    )
