"""Plain JSON data to and from the model's dataclasses, driven by their type hints.

One codec for everything that leaves memory (the store, scan JSON, the report's re-render), so there
is no parallel tree of serialiser classes to keep in step with ``model.py``.

Rules: dataclasses become objects keyed by field name, enums their value, datetimes ISO 8601 with
their offset, tuples lists, mappings objects. ``decode`` is the inverse and ignores unknown keys, so
a newer file still loads in an older lookalike; missing keys take the field's default.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
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
    """Rebuild a value of type ``tp`` (a dataclass, enum, container or union) from ``encode``'s output."""
    result: T = _decode(tp, data, {})
    return result


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(tp: Any, data: JSON, bindings: Mapping[Any, Any]) -> Any:
    if isinstance(tp, TypeVar):
        tp = bindings.get(tp, Any)
    if tp is Any:
        return data
    origin = get_origin(tp)
    args = get_args(tp)
    if origin in (Union, types.UnionType):
        if data is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _decode(arg, data, bindings)
            except (TypeError, ValueError, KeyError) as exc:
                errors.append(str(exc))
        raise ValueError(f"no member of {tp} fits {data!r}: {errors}")
    if origin is tuple:
        if not isinstance(data, list | tuple):
            raise TypeError(f"expected a list for {tp}, got {type(data).__name__}")
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v, bindings) for v in data)
        return tuple(_decode(a, v, bindings) for a, v in zip(args, data, strict=True))
    if origin in (list, set, frozenset):
        return origin(_decode(args[0], v, bindings) for v in data)
    if origin in (dict, Mapping) or tp in (dict, Mapping):
        key_tp, value_tp = args or (Any, Any)
        return {_decode(key_tp, k, bindings): _decode(value_tp, v, bindings) for k, v in data.items()}
    cls = origin or tp
    if dataclasses.is_dataclass(cls) and isinstance(cls, type):
        if not isinstance(data, Mapping):
            raise TypeError(f"expected an object for {cls.__name__}, got {type(data).__name__}")
        params = getattr(cls, "__parameters__", ())
        inner = dict(zip(params, args, strict=False)) if args else dict(bindings)
        hints = _hints(cls)
        kwargs = {
            f.name: _decode(hints[f.name], data[f.name], inner)
            for f in dataclasses.fields(cls)
            if f.name in data
        }
        return cls(**kwargs)
    if isinstance(cls, type) and issubclass(cls, Enum):
        return cls(data)
    if cls is datetime:
        if not isinstance(data, str):
            raise TypeError(f"expected an ISO 8601 string, got {data!r}")
        return datetime.fromisoformat(data)
    if cls is Path:
        return Path(data)
    if cls is float and isinstance(data, int | float) and not isinstance(data, bool):
        return float(data)
    if cls in (int, str, bool) and type(data) is cls:
        return data
    if cls is type(None) and data is None:
        return None
    raise TypeError(f"expected {getattr(cls, '__name__', cls)}, got {data!r}")
