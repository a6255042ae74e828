"""How the engine's state pickles (a checkpoint, a stage-2 snapshot): by its attributes' names,
the same whether the engine runs compiled or as Python.

Left to themselves the two builds pickle differently: a class compiled by mypyc writes its
attributes as a dict and is rebuilt by calling it with no arguments (so every argument of its
constructor would need a default); a Python class with ``__slots__`` writes them in another
layout. The classes given to :func:`register` pickle through one reducer instead: the object is
made by its constructor, with the arguments ``made_by`` reads off the original (any that make a
valid object: every attribute is then set back by name).
"""

from __future__ import annotations

import copyreg
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _names(obj: object) -> tuple[str, ...]:
    cls = type(obj)
    compiled: tuple[str, ...] | None = getattr(cls, "__mypyc_attrs__", None)
    if compiled is not None:
        return tuple(n for n in compiled if n != "__dict__")
    slots = tuple(n for c in reversed(cls.__mro__) for n in c.__dict__.get("__slots__", ()))
    return slots or tuple(vars(obj))


def _rebuild(cls: Callable[..., T], args: tuple[Any, ...], state: dict[str, Any]) -> T:
    obj = cls(*args)
    for name, value in state.items():
        setattr(obj, name, value)
    return obj


def _no_arguments(obj: object) -> tuple[Any, ...]:
    return ()


def register(cls: type[T], made_by: Callable[[T], tuple[Any, ...]] = _no_arguments) -> None:
    """Pickle instances of ``cls`` by their attributes (see the module's docstring)."""

    def reduce(obj: T) -> tuple[Any, tuple[Any, ...]]:
        state = {n: getattr(obj, n) for n in _names(obj) if hasattr(obj, n)}
        return _rebuild, (cls, made_by(obj), state)

    copyreg.pickle(cls, reduce)
