"""Typed errors: every answer of 400 or more from Herald's HTTP API becomes
one of these, carrying the status and Herald's JSON reason."""


class HeraldError(Exception):
    """Anything the SDK could not do."""


class TransportError(HeraldError):
    """No answer: the connection failed, closed, or timed out."""


class ApiError(HeraldError):
    """Herald answered with an error status; `reason` is its {"error": …}."""

    status = 0

    def __init__(self, status, reason, body=None):
        super().__init__(f"HTTP {status}: {reason}")
        self.status = status
        self.reason = reason
        self.body = body


class BadRequest(ApiError):
    """400: the request is wrong; the reason says what."""


class Unauthorized(ApiError):
    """401: missing or wrong API key."""


class Forbidden(ApiError):
    """403: an Origin not allowed, or a recipient not opted in."""


class NotFound(ApiError):
    """404: no such route, job, event or channel."""


class Conflict(ApiError):
    """409: the same idempotency key is still being published; ask again shortly."""


class PayloadTooLarge(ApiError):
    """413: the body is over server.max_body_bytes."""


class Unavailable(ApiError):
    """503: the node could not do it now (store or registry busy, Redis down)."""


class ServerError(ApiError):
    """Any other 5xx."""


_BY_STATUS = {400: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound, 409: Conflict,
              413: PayloadTooLarge, 503: Unavailable}


def error_for(status, body):
    """The typed error for an answer with `status` and parsed JSON `body`."""
    reason = body.get("error") if isinstance(body, dict) else None
    if not isinstance(reason, str):
        reason = f"HTTP {status}"
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    return cls(status, reason, body)
