"""Strict JSON request bodies.

The standard decoder accepts NaN and Infinity, keeps the last of two equal keys,
turns `1e400` into infinity, and reads integers of any size. Here each of those
becomes a marker (domain/json_shape.py) that nothing downstream can mistake for a
value. A route of `StrictJsonRoute` then refuses a body holding any marker or a
bad string as a whole (422, naming where and which rule); `ItemwiseJsonRoute`
(events) leaves them to be judged item by item, so one bad event does not cost the
batch (EVT-1). Nesting too deep to decode at all is refused as a whole everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import HTTPException

from depositdesk.domain.json_shape import DuplicateKeys, TooDeep, shape_problem, strict_loads
from depositdesk.entrypoints.api.deps import CallRoute

MAX_BODY_DEPTH = 32  # levels of arrays and objects in a request body (events' data: 16)
MAX_BODY_BYTES = 16 * 1024 * 1024  # a batch of 10,000 ordinary events fits easily


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(
            413, f"the body is larger than {MAX_BODY_BYTES:,} bytes; send smaller batches"
        )


class BodyRejected(HTTPException):
    """A JSON body refused as a whole: `rule` names why (problems.py renders it)."""

    def __init__(self, field: str, rule: str, message: str) -> None:
        super().__init__(422, message)
        self.field = field
        self.rule = rule
        self.message = message


def loads(body: bytes) -> Any:
    """Decode JSON, leaving markers where a value is out of bounds."""
    try:
        return strict_loads(body)
    except TooDeep:
        raise BodyRejected(
            "body", "max_depth", f"the body is nested deeper than {MAX_BODY_DEPTH} levels"
        ) from None
    except UnicodeDecodeError:
        raise BodyRejected("body", "json", "the body is not UTF-8") from None


class _StrictJsonRequest(Request):
    async def body(self) -> bytes:
        """The body, read no further than MAX_BODY_BYTES (a chunked body has no
        Content-Length for the middleware to check first)."""
        if not hasattr(self, "_body"):
            chunks: list[bytes] = []
            size = 0
            async for chunk in self.stream():
                size += len(chunk)
                if size > MAX_BODY_BYTES:
                    raise BodyTooLarge()
                chunks.append(chunk)
            self._body = b"".join(chunks)
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = loads(await self.body())
        return self._json


class _WholeBodyRequest(_StrictJsonRequest):
    async def json(self) -> Any:
        value = await super().json()
        problem = shape_problem(value, "body", MAX_BODY_DEPTH)
        if problem is not None:
            field = problem.path.removeprefix("body.").split(" ")[0] or "body"
            raise BodyRejected(field, problem.rule, problem.message)
        return value


class _Route(CallRoute):
    request_class: type[Request] = _WholeBodyRequest

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        request_class = self.request_class

        async def strict(request: Request) -> Response:
            return await handler(request_class(request.scope, request.receive))

        return strict


class StrictJsonRoute(_Route):
    """Refuses a body with any out-of-bounds value or character, as a whole."""


class _ItemwiseRequest(_StrictJsonRequest):
    async def json(self) -> Any:
        value = await super().json()
        if isinstance(value, DuplicateKeys):  # the envelope itself: which list was meant?
            raise BodyRejected(
                "body", "duplicate_key", f"the body has the key {value.duplicates[0]!r} twice"
            )
        return value


class ItemwiseJsonRoute(_Route):
    """Decodes strictly but leaves the judging of the items to the use case."""

    request_class = _ItemwiseRequest
