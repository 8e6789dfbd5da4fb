"""What both publishers share about the wire: the base URL, the request's
bytes, the retry loop's rule, and turning an answer into a result or a
typed error."""
import json
from urllib.parse import urlsplit

from .backoff import Backoff
from .errors import ApiError, HeraldError, error_for

# Answers worth asking again (when the call is safe to repeat): the node was
# busy or restarting, or the same idempotency key is still in flight.
RETRY_STATUSES = frozenset({409, 502, 503, 504})


class Settings:
    """What both publishers are made with."""

    def __init__(self, base_url, api_key=None, *, timeout=10.0, retries=3,
                 backoff=Backoff(initial=0.2, max=5.0), auto_idempotency=True):
        self._endpoint = Endpoint(base_url)
        self._api_key = api_key
        self._timeout = timeout
        self._retries = retries
        self._backoff = backoff
        self.auto_idempotency = auto_idempotency


class Endpoint:
    def __init__(self, base_url):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"base_url must be http(s)://host[:port], not {base_url!r}")
        self.tls = parts.scheme == "https"
        self.host = parts.hostname
        self.port = parts.port or (443 if self.tls else 80)
        self.prefix = parts.path.rstrip("/")
        self.host_header = parts.netloc.rsplit("@", 1)[-1]


def headers(endpoint, api_key, body_bytes):
    h = {"Host": endpoint.host_header, "Accept": "application/json", "User-Agent": "herald-client-python"}
    if api_key:
        h["Authorization"] = "Bearer " + api_key
    if body_bytes is not None:
        h["Content-Type"] = "application/json"
        h["Content-Length"] = str(len(body_bytes))
    return h


def encode(body):
    return None if body is None else json.dumps(body, separators=(",", ":")).encode()


def decode(status, raw, pick):
    """The parsed answer (through `pick`) for 2xx; raises the typed error otherwise."""
    try:
        parsed = json.loads(raw) if raw else None
    except ValueError:
        parsed = None
    if status >= 400:
        raise error_for(status, parsed)
    if parsed is None:  # every Herald answer is a JSON document
        raise HeraldError(f"HTTP {status}: the answer is not JSON")
    if not pick:
        return parsed
    try:
        return pick(parsed)
    except (KeyError, TypeError, IndexError) as e:
        raise HeraldError(f"HTTP {status}: the answer lacks {e}") from e


def retry_wait(error, retry, attempt, retries, backoff):
    """The wait before asking again after `error` (TransportError or
    ApiError), or None: give up and raise it."""
    if not retry or attempt >= retries:
        return None
    if isinstance(error, ApiError) and error.status not in RETRY_STATUSES:
        return None
    return backoff.delay(attempt)
