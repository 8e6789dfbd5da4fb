"""Herald's Python SDK: a publisher for backends (blocking and asyncio) and a
WebSocket client for workers and tests. Needs only the standard library and
`websockets` (Debian: python3-websockets)."""
from .async_publisher import AsyncPublisher
from .backoff import Backoff, hinted_delay
from .client import HeraldClient
from .errors import (ApiError, BadRequest, Conflict, Forbidden, HeraldError, NotFound,
                     PayloadTooLarge, ServerError, TransportError, Unauthorized, Unavailable)
from .publisher import Publisher
from .token import make_token

__all__ = ["AsyncPublisher", "ApiError", "Backoff", "BadRequest", "Conflict", "Forbidden",
           "HeraldClient", "HeraldError", "NotFound", "PayloadTooLarge", "Publisher", "ServerError",
           "TransportError", "Unauthorized", "Unavailable", "hinted_delay", "make_token"]
__version__ = "0.1.0"
