"""A misspelled keyword gets a hint: "did you mean `model`?", or else `extra_body`.

Python itself refuses an unknown keyword with a bare TypeError before the method
runs; `suggest_keywords` turns that refusal, and only that one, into an
InvalidRequestTypeError that names the closest real parameter.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, cast

from ._exceptions import InvalidRequestTypeError

P = ParamSpec("P")
R = TypeVar("R")


def unknown_keyword_error(unknown: str, known: list[str], where: str) -> InvalidRequestTypeError:
    import difflib  # noqa: PLC0415 - only a refused call pays for it

    close = difflib.get_close_matches(unknown, known, n=1, cutoff=0.75)
    if close:
        hint = f"did you mean `{close[0]}`?"
    else:
        hint = "fields the spec does not know yet go through extra_body={...}"
    return InvalidRequestTypeError(unknown, f"not a parameter of {where}; {hint}")


def suggest_keywords(method: Callable[P, R]) -> Callable[P, R]:
    """Wrap a keyword-only API method so that an unknown keyword gets a hint.

    An async method stays a coroutine function, so `inspect.iscoroutinefunction`
    and frameworks that ask it see it as one. Python refuses arguments when the
    method is called, before any coroutine exists, so both forms catch it there.
    """

    def refused(error: TypeError, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Exception:
        return _argument_refusal(method, args, kwargs) or error

    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def call_async(*args: Any, **kwargs: Any) -> Any:
            try:
                coroutine = method(*args, **kwargs)
            except TypeError as error:
                raise refused(error, args, kwargs) from None
            return await cast("Awaitable[Any]", coroutine)

        return cast("Callable[P, R]", call_async)

    @functools.wraps(method)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except TypeError as error:
            raise refused(error, args, kwargs) from None

    return call


def _argument_refusal(
    method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> InvalidRequestTypeError | None:
    """The SDK's error for a call Python refused to bind, or None if binding was not the
    problem (a TypeError from inside a call that ran is not about its arguments)."""
    if len(args) != 1:
        return None  # positional arguments: Python's own message says it best
    parameters = list(inspect.signature(method).parameters.values())[1:]
    known = [p.name for p in parameters]
    where = _method_name(method, args)
    unknown = [name for name in kwargs if name not in known]
    if unknown:
        return unknown_keyword_error(unknown[0], known, where)
    missing = [p.name for p in parameters if p.default is p.empty and p.name not in kwargs]
    if missing:
        return InvalidRequestTypeError(missing[0], f"is required by {where}")
    return None


def _method_name(method: Callable[..., Any], args: tuple[Any, ...]) -> str:
    # Namespaces name themselves as users reach them (`router.images.generations`).
    owner = getattr(args[0], "_where", type(args[0]).__name__) if args else ""
    return f"{owner}.{method.__name__}()" if owner else f"{method.__name__}()"
