"""HTTP problems and the one middleware that answers them in each API's own error shape (ours).

``HttpProblem`` is every error the gateway answers itself: a status, a message and a ``kind``
(Anthropic's error type names, the most complete set: ``invalid_request_error``,
``authentication_error``, ``permission_error``, ``not_found_error``, ``request_too_large``,
``rate_limit_error``, ``api_error``, ``overloaded_error``, ``timeout_error``). Which shape a
response takes is chosen by the request's path: ``register_shape(prefix, render)`` (the longest
registered prefix wins; OpenAI's is the default, so an unknown route under any prefix answers in
the shape of the API it looks like). ``problem_middleware`` also gives each request its id (the
``x-request-id`` header of every response, streamed or not) and writes one access log line
(logger ``gateway.access``) when the request is done, after its reply has gone out: request id,
key id, deployment, status, tokens, latency; never a key.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import math
import os
import time
from dataclasses import dataclass
from typing import Any, AsyncGenerator, Awaitable, Callable

from aiohttp import web

from gateway.errors import AttemptTimedOut, BudgetExceeded, NoDeploymentAvailable, StreamInterrupted, retry_after_of
from gateway.routing.failures import status_of

from .events import EVENTS, RequestEvents

access_logger = logging.getLogger("gateway.access")
logger = logging.getLogger("gateway.server")

REQUEST_ID_HEADER = "x-request-id"
CLIENT_GONE = 499
"""The access log's status for a client that went away mid-stream (nginx's convention)."""

KIND_BY_STATUS = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "timeout_error",
    413: "request_too_large",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "overloaded_error",
    504: "timeout_error",
    529: "overloaded_error",
}


@dataclass
class RequestLog:
    """What the access log line of the request being handled says; the handlers fill it in
    (``request_log()``). ``status`` overrides the response's (a stream that ended in an error)."""

    request_id: str
    key_id: str | None = None
    deployment: str | None = None
    status: int | None = None
    tokens: int | None = None
    events: RequestEvents | None = None
    path: str = ""

    def route(self, deployment: str) -> None:
        """The request goes to ``deployment`` (a deployment or group name): logged, and the
        ``response_start`` event."""
        self.deployment = deployment
        if self.events is not None:
            self.events.start(self, self.path)

    def chunks(self, stream: AsyncGenerator[dict[str, Any], None]) -> AsyncGenerator[dict[str, Any], None]:
        """The reply's chunks, each text chunk a ``response_chunk`` event when anyone listens."""
        return stream if self.events is None else self.events.chunks(self, stream)


_current: contextvars.ContextVar[RequestLog] = contextvars.ContextVar("gateway_request_log")


def request_log() -> RequestLog:
    """The log of the request this task is handling (set by ``problem_middleware``)."""
    return _current.get()


class HttpProblem(Exception):
    """An error the gateway answers: ``status``, ``message``, ``kind`` (see the module
    docstring), and for OpenAI's shape ``param`` and ``code``; ``headers`` go on the response."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str | None = None,
        *,
        param: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind or KIND_BY_STATUS.get(status, "api_error" if status >= 500 else "invalid_request_error")
        self.param = param
        self.code = code
        self.headers = headers or {}


Shape = Callable[[HttpProblem], dict[str, Any]]


def openai_shape(problem: HttpProblem) -> dict[str, Any]:
    """OpenAI's error object: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": problem.message, "type": problem.kind, "param": problem.param, "code": problem.code}}


_SHAPES: dict[str, Shape] = {}


def register_shape(prefix: str, shape: Shape) -> None:
    """Answer the problems of requests whose path starts with ``prefix`` in ``shape``."""
    _SHAPES[prefix] = shape


def shape_for(path: str) -> Shape:
    """The shape of the longest registered prefix of ``path``; OpenAI's when none."""
    best = ""
    for prefix in _SHAPES:
        if path.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return _SHAPES[best] if best else openai_shape


def problem_response(request: web.BaseRequest, problem: HttpProblem) -> web.Response:
    body = shape_for(request.path)(problem)
    return web.Response(
        status=problem.status,
        body=json.dumps(body).encode(),
        content_type="application/json",
        headers=problem.headers,
    )


def upstream_problem(error: BaseException, redact: Callable[[str], str]) -> HttpProblem:
    """An upstream's (or the router's) error as the client sees it: the upstream's status, the
    message with the gateway's provider keys redacted."""
    if isinstance(error, HttpProblem):
        return error
    message = redact(str(getattr(error, "message", None) or error) or type(error).__name__)
    if isinstance(error, BudgetExceeded):
        headers = {}
        if error.resets_at is not None:
            headers["retry-after"] = str(max(0, int(error.resets_at - time.time()) + 1))
        return HttpProblem(429, message, "rate_limit_error", code="budget_exceeded", headers=headers)
    if isinstance(error, NoDeploymentAvailable):
        headers = {}
        if error.available_at is not None:
            headers["retry-after"] = str(max(0, int(error.available_at - time.time()) + 1))
        return HttpProblem(503, message, "overloaded_error", code="no_deployment_available", headers=headers)
    if isinstance(error, AttemptTimedOut):
        return HttpProblem(504, message, "timeout_error")
    if isinstance(error, StreamInterrupted):  # after the first chunk: said in the stream
        cause = error.__cause__
        if cause is not None:
            message = f"{message}: {redact(str(getattr(cause, 'message', None) or cause) or type(cause).__name__)}"
        status = status_of(cause) if cause is not None else None
        return HttpProblem(status if status and 400 <= status <= 599 else 502, message, "api_error", code="stream_interrupted")
    status = status_of(error)
    if status is None or not 400 <= status <= 599:
        status = 502
    passed_on = None
    if status in (429, 503):  # the upstream's wait (retry-after(-ms), Google's RetryInfo, "try again in")
        seconds = retry_after_of(error)
        if seconds is not None:
            passed_on = {"retry-after": str(math.ceil(seconds))}
    return HttpProblem(status, message, code=type(error).__name__, headers=passed_on)


@web.middleware
async def problem_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Every problem in its API's shape; the request id and the access log line."""
    started = time.monotonic()
    log = RequestLog(os.urandom(16).hex(), events=request.app.get(EVENTS), path=request.path)
    token = _current.set(log)
    status = 500
    try:
        try:
            response = await handler(request)
        except HttpProblem as problem:
            response = problem_response(request, problem)
        except web.HTTPException as http:  # aiohttp's own: unknown route, wrong method, body too large
            if http.status < 400:
                raise
            response = problem_response(request, _aiohttp_problem(request, http))
        except asyncio.CancelledError:  # the client went away (handler_cancellation)
            log.status = log.status or 499
            raise
        except Exception as error:  # a bug of ours: answered, logged, never a traceback out
            logger.exception("request %s failed", log.request_id)
            response = problem_response(request, HttpProblem(500, f"internal error ({type(error).__name__})", "api_error"))
        status = response.status
        if not response.prepared:  # (a stream got it when it was prepared: add_request_id)
            response.headers[REQUEST_ID_HEADER] = log.request_id
            await _send(request, response)
        return response
    finally:
        _current.reset(token)
        latency = time.monotonic() - started
        if access_logger.isEnabledFor(logging.INFO):
            access_logger.info(
                "%s %s %s key=%s deployment=%s status=%s tokens=%s latency_ms=%.1f",
                log.request_id, request.method, request.path, log.key_id or "-", log.deployment or "-",
                log.status or status, "-" if log.tokens is None else log.tokens, latency * 1000,
            )
        if log.events is not None and log.deployment is not None:
            await log.events.complete(log, request.path, log.status or status, latency)


async def _send(request: web.Request, response: web.StreamResponse) -> None:
    """Send a whole reply now, as aiohttp would once the handler returns, so that the access log
    line is written after the client has its reply, not before. A client gone: aiohttp finds the
    reply unsent and handles that as it always does."""
    try:
        await response.prepare(request)
        await response.write_eof()
    except ConnectionError:
        pass


def _aiohttp_problem(request: web.Request, http: web.HTTPException) -> HttpProblem:
    if http.status == 404:
        return HttpProblem(404, f"no route {request.method} {request.path}", "not_found_error", code="unknown_route")
    if http.status == 405:
        allowed = http.headers.get("Allow", "")
        return HttpProblem(
            405, f"method {request.method} is not allowed on {request.path} (allowed: {allowed})",
            "invalid_request_error", code="method_not_allowed", headers={"Allow": allowed},
        )
    if http.status == 413:
        return HttpProblem(413, http.text or "request body too large", "request_too_large", code="request_too_large")
    return HttpProblem(http.status, http.reason, code=None)


async def add_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the request id on a stream (prepared in its handler)."""
    log = _current.get(None)
    if log is not None:
        response.headers[REQUEST_ID_HEADER] = log.request_id


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request's JSON object; 400 for anything else (aiohttp's 413 when over the limit)."""
    raw = await request.read()
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HttpProblem(400, f"the body is not valid JSON: {exc}", code="invalid_json") from None
    if not isinstance(body, dict):
        raise HttpProblem(400, f"the body must be a JSON object, not {_json_type(body)}", code="invalid_json")
    return body


def field(body: dict[str, Any], name: str, types: type | tuple[type, ...], *, required: bool = False) -> Any:
    """``body[name]`` checked against ``types`` (JSON null counts as absent); 400 naming the
    field when it is missing (``required``) or of another type."""
    value = body.get(name)
    if value is None:
        if required:
            raise HttpProblem(400, f"missing required field {name!r}", param=name, code="missing_field")
        return None
    accepted = types if isinstance(types, tuple) else (types,)
    if isinstance(value, bool) and bool not in accepted or not isinstance(value, accepted):
        expected = " or ".join(_TYPE_NAMES.get(t, t.__name__) for t in accepted)
        raise HttpProblem(
            400, f"field {name!r} must be {expected}, not {_json_type(value)}", param=name, code="invalid_type"
        )
    return value


_TYPE_NAMES: dict[type, str] = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "an array", dict: "an object"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    return _TYPE_NAMES.get(type(value), type(value).__name__)
