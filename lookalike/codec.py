"""Plain JSON data to and from the model's dataclasses, driven by their type hints.

One codec for everything that leaves memory (the store, scan JSON, the report's re-render), so there
is no parallel tree of serialiser classes to keep in step with ``model.py``.

Rules: dataclasses become objects keyed by field name, enums their value, datetimes ISO 8601 with
their offset, tuples lists, mappings objects. ``decode`` is the inverse and ignores unknown keys, so
a newer file still loads in an older lookalike; missing keys take the field's default.
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


def decode(tp: type[T] | Any, data: JSON) -> T:
    """Rebuild a value of type ``tp`` (a dataclass, enum, container or union) from ``encode``'s output.

    Raises ``TypeError`` or ``ValueError`` when ``data`` does not fit ``tp``.
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
        kind = origin
        return lambda data: kind(item(v) for v in data)
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        key, value = (_decoder(a) for a in (args or (Any, Any)))
        return lambda data: {key(k): value(v) for k, v in data.items()}
    cls = origin or tp
    if dataclasses.is_dataclass(cls) and isinstance(cls, type):
        return _dataclass(cls, args)
    if isinstance(cls, type) and issubclass(cls, Enum):
        return cls
    if cls is datetime:
        return _datetime
    if cls is Path:
        return Path
    if cls is float:
        return _float
    if cls in (int, str, bool):
        return functools.partial(_exact, cls)
    if cls is type(None):
        return _none
    raise TypeError(f"cannot decode into {tp}")


def _identity(data: Any) -> Any:
    return data


def _union(tp: Any, args: tuple[Any, ...]) -> Decoder:
    optional = type(None) in args
    members = [_decoder(a) for a in args if a is not type(None)]

    def decode_union(data: Any) -> Any:
        if data is None and optional:
            return None
        errors = []
        for member in members:
            try:
                return member(data)
            except (TypeError, ValueError, KeyError) as exc:
                errors.append(str(exc))
        raise ValueError(f"no member of {tp} fits {data!r}: {errors}")

    return decode_union


def _tuple(tp: Any, args: tuple[Any, ...]) -> Decoder:
    if len(args) == 2 and args[1] is Ellipsis:
        item = _decoder(args[0])

        def decode_items(data: Any) -> tuple[Any, ...]:
            if not isinstance(data, list | tuple):
                raise TypeError(f"expected a list for {tp}, got {type(data).__name__}")
            return tuple(item(v) for v in data)

        return decode_items
    items = [_decoder(a) for a in args]

    def decode_fixed(data: Any) -> tuple[Any, ...]:
        if not isinstance(data, list | tuple):
            raise TypeError(f"expected a list for {tp}, got {type(data).__name__}")
        return tuple(f(v) for f, v in zip(items, data, strict=True))

    return decode_fixed


def _dataclass(cls: type, args: tuple[Any, ...]) -> Decoder:
    params = getattr(cls, "__parameters__", ())
    bindings = tuple(zip(params, args, strict=False))
    hints = _hints(cls)
    fields = [(f.name, _decoder(_bind(hints[f.name], bindings))) for f in dataclasses.fields(cls)]

    def decode_dataclass(data: Any) -> Any:
        if not isinstance(data, Mapping):
            raise TypeError(f"expected an object for {cls.__name__}, got {type(data).__name__}")
        return cls(**{name: field(data[name]) for name, field in fields if name in data})

    return decode_dataclass


def _datetime(data: Any) -> datetime:
    if not isinstance(data, str):
        raise TypeError(f"expected an ISO 8601 string, got {data!r}")
    return datetime.fromisoformat(data)


def _float(data: Any) -> float:
    if isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    raise TypeError(f"expected a number, got {data!r}")


def _exact(kind: type, data: Any) -> Any:
    if type(data) is kind:
        return data
    raise TypeError(f"expected {kind.__name__}, got {data!r}")


def _none(data: Any) -> None:
    if data is not None:
        raise TypeError(f"expected null, got {data!r}")
