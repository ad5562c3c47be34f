"""The native endpoints (ours): the reference's own handler behaviour over HTTP, for a host that
replaces its provider layer with a thin client.

``POST /v1/handler/create-message`` and ``POST /v1/handler/complete-prompt`` take
``{"deployment": "<deployment or group>"}`` (served by the router) or ``{"settings":
{…ProviderSettings…}}`` (a handler of ``providers.build_api_handler``, built once per distinct
settings; only for keys with ``allow_settings``, or an open gateway), plus the reference's own
argument names: ``systemPrompt``, ``messages``, ``metadata`` / ``prompt``.

create-message answers ``text/event-stream``: each chunk the handler yields, unchanged, as
``data: <chunk JSON>``; a normal end as ``event: end``; an error as ``event: error`` whose data
is ``native_error`` of the reference's exception (for a stream the router cut,
``StreamInterrupted``, the upstream's error that cut it). complete-prompt answers
``{"result": "<text>"}``, or that error object with the upstream's status (502 when it gave
none; the router's own errors with the status the other APIs give them: a budget 429, no
deployment available 503, a timeout 504). The error object is built by ``gateway.reference_errors.error_transcript``, the parity
harness's own serialiser, so it says what ``python -m parity`` compares; the gateway's provider
keys are redacted wherever they appear. Problems of the request itself (key, body, names) are
answered before anything runs, as ``native_shape``.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, Callable

from aiohttp import web

import providers
from gateway.errors import StreamInterrupted
from gateway.reference_errors import error_transcript

from .auth import admit
from .config import KeySpec
from .errors import CLIENT_GONE, HttpProblem, json_body, register_shape, request_log, upstream_problem
from .state import STATE, GatewayState
from .streaming import SSE_HEADERS, StreamWriter, json_bytes

PREFIX = "/v1/handler/"
HANDLER_CACHE_SIZE = 64
routes = web.RouteTableDef()


def native_error(exc: BaseException) -> dict[str, Any]:
    """``{"constructor", "name", "message", "status", "error", "code"}`` of the reference's
    exception: the golden's ``name`` (the JS constructor), ``err.name``, ``message``,
    ``status`` and the ``error`` and ``code`` props (``error_transcript``)."""
    transcript = error_transcript(exc, 0)
    props = transcript["props"]
    return {
        "constructor": transcript["name"],
        "name": transcript.get("error_name_property", transcript["name"]),
        "message": transcript["message"],
        "status": transcript["status"],
        "error": props.get("error"),
        "code": props.get("code"),
    }


def native_shape(problem: HttpProblem) -> dict[str, Any]:
    """A problem of the request (not of an upstream) in the native error object's fields."""
    return {
        "constructor": "GatewayError", "name": "GatewayError", "message": problem.message,
        "status": problem.status, "error": {"type": problem.kind, "message": problem.message}, "code": problem.code,
    }


register_shape(PREFIX, native_shape)


class Handlers:
    """``build_api_handler`` per distinct settings, the most recently used kept."""

    def __init__(self) -> None:
        self._built: OrderedDict[str, Any] = OrderedDict()

    def get(self, settings: dict[str, Any]) -> Any:
        cache_key = json.dumps(settings, sort_keys=True, separators=(",", ":"))
        handler = self._built.get(cache_key)
        if handler is None:
            handler = providers.build_api_handler(settings)
            self._built[cache_key] = handler
            if len(self._built) > HANDLER_CACHE_SIZE:
                self._built.popitem(last=False)
        else:
            self._built.move_to_end(cache_key)
        return handler


HANDLERS = web.AppKey("gateway_native_handlers", Handlers)
"""The app's settings handlers (``build_app`` makes one per app)."""


def _bad(message: str, param: str) -> HttpProblem:
    return HttpProblem(400, message, "invalid_request_error", param=param, code="invalid_request")


def _target(request: web.Request, state: GatewayState, key: KeySpec | None, body: dict[str, Any]) -> tuple[Any, str | None]:
    """The handler a request names (the router for a deployment or group, or the settings'
    own handler) and its key id for the ledger; a settings handler's build error is raised."""
    if ("deployment" in body) == ("settings" in body):
        raise _bad("exactly one of 'deployment' or 'settings' is required", "deployment")
    key_id = None if key is None else key.id
    if "deployment" in body:
        name = body["deployment"]
        if not isinstance(name, str) or not name:
            raise _bad("'deployment' must be a non-empty string", "deployment")
        if name not in state.names and name not in state.groups:  # (no strategy prefixes here)
            raise HttpProblem(404, f"no deployment or group named {name!r}", "not_found_error",
                              param="deployment", code="deployment_not_found")
        target = state.resolve(name, key)
        request_log().route(name)
        return target.router, key_id
    settings = body["settings"]
    if not isinstance(settings, dict):
        raise _bad("'settings' must be an object (the reference's ProviderSettings)", "settings")
    if key is not None and not key.allow_settings:
        raise HttpProblem(403, "this key may not send its own settings", "permission_error",
                          param="settings", code="settings_not_allowed")
    request_log().route("settings")
    return request.app[HANDLERS].get(settings), None


def _data(value: Any, redact: Callable[[str], str]) -> bytes:
    return json_bytes(value, redact)


@routes.post(PREFIX + "create-message")
async def create_message(request: web.Request) -> web.StreamResponse:
    state = request.app[STATE]
    key = await admit(request)
    body = await json_body(request)
    system_prompt, messages, metadata = body.get("systemPrompt"), body.get("messages"), body.get("metadata")
    if not isinstance(system_prompt, str) or not isinstance(messages, list) or not (metadata is None or isinstance(metadata, dict)):
        raise _bad("'systemPrompt' (a string), 'messages' (a list) and optionally 'metadata' (an object) are required",
                   "messages")
    response = web.StreamResponse(headers=SSE_HEADERS)
    try:
        handler, key_id = _target(request, state, key, body)
    except HttpProblem:
        raise
    except Exception as error:  # the reference's buildApiHandler threw
        await response.prepare(request)
        await response.write_eof(_error_event(error, state.redact))
        return response
    kwargs = {} if key_id is None else {"key_id": key_id}
    stream = request_log().chunks(handler.create_message(system_prompt, messages, metadata, **kwargs))
    await response.prepare(request)
    writer = StreamWriter(response)
    tokens = 0  # (the access log's: the usage chunks summed)
    try:
        try:
            async for chunk in writer.chunks(stream):
                writer.add(b"data: " + _data(chunk, state.redact) + b"\n\n")
                if chunk.get("type") == "usage":
                    tokens += (chunk.get("inputTokens") or 0) + (chunk.get("outputTokens") or 0)
        except ConnectionError:
            raise
        except StreamInterrupted as interrupted:
            await writer.end(_error_event(interrupted.__cause__ or interrupted, state.redact))
        except Exception as error:
            await writer.end(_error_event(error, state.redact))
        else:
            await writer.end(b"event: end\ndata: {}\n\n")
    except ConnectionError:  # the client went away: nothing to tell it
        request_log().status = CLIENT_GONE
    finally:
        await stream.aclose()  # the upstream request is closed with it
        request_log().tokens = tokens
    return response


def _error_event(error: BaseException, redact: Any) -> bytes:
    request_log().status = upstream_problem(error, redact).status
    return b"event: error\ndata: " + _data(native_error(error), redact) + b"\n\n"


@routes.post(PREFIX + "complete-prompt")
async def complete_prompt(request: web.Request) -> web.Response:
    state = request.app[STATE]
    key = await admit(request)
    body = await json_body(request)
    prompt = body.get("prompt")
    if not isinstance(prompt, str):
        raise _bad("'prompt' (a string) is required", "prompt")
    try:
        handler, key_id = _target(request, state, key, body)
        kwargs = {} if key_id is None else {"key_id": key_id}
        result = await handler.complete_prompt(prompt, **kwargs)
    except HttpProblem:
        raise
    except Exception as error:  # the upstream's status; the gateway's own errors as on the other APIs
        status = upstream_problem(error, state.redact).status
        request_log().status = status
        return web.Response(status=status, body=_data(native_error(error), state.redact), content_type="application/json")
    return web.Response(body=_data({"result": result}, state.redact), content_type="application/json")
