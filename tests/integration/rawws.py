"""A small WebSocket client of our own over a plain socket.

Unlike a full client library it does only what a test tells it: it never
answers protocol pings by itself, can send binary, oversized or malformed
frames, can stop reading, and can drop the TCP connection without a close
frame.
"""
import base64
import json
import os
import socket
import struct
import time

TEXT, BINARY, CLOSE, PING, PONG = 1, 2, 8, 9, 10


class UpgradeRefused(Exception):
    def __init__(self, status, body):
        super().__init__(f"upgrade refused: {status} {body}")
        self.status = status
        self.body = body


class Closed(Exception):
    def __init__(self, code, reason):
        super().__init__(f"closed {code} {reason}")
        self.code = code
        self.reason = reason


class RawWS:
    def __init__(self, port, query="", headers=None, rcvbuf=None, timeout=10):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET /ws{'?' + query if query else ''} HTTP/1.1", f"Host: 127.0.0.1:{port}",
                 "Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("closed during handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        status_line, *header_lines = head.decode().split("\r\n")
        status = int(status_line.split()[1])
        hdrs = {h.split(":", 1)[0].lower(): h.split(":", 1)[1].strip() for h in header_lines}
        if status != 101:
            length = int(hdrs.get("content-length", "0"))
            while len(self.buf) < length:
                self.buf += self.sock.recv(4096)
            raise UpgradeRefused(status, json.loads(self.buf[:length] or b"null"))
        self.closed = None

    # --- sending ----------------------------------------------------------

    def send_frame(self, opcode, payload=b"", fin=True, masked=True, rsv=0):
        if isinstance(payload, str):
            payload = payload.encode()
        first = (0x80 if fin else 0) | rsv | opcode
        mask_bit = 0x80 if masked else 0
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", first, mask_bit | n)
        elif n <= 0xFFFF:
            header = struct.pack("!BBH", first, mask_bit | 126, n)
        else:
            header = struct.pack("!BBQ", first, mask_bit | 127, n)
        if masked:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            header += key
        self.sock.sendall(header + payload)

    def send_json(self, obj):
        self.send_frame(TEXT, json.dumps(obj))

    def close(self, code=1000, reason=""):
        self.send_frame(CLOSE, struct.pack("!H", code) + reason.encode())

    def drop(self):
        """Ends the TCP connection without a close frame (a lost network)."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()

    # --- receiving --------------------------------------------------------

    def _need(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("connection closed by the server")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self, timeout=10):
        self.sock.settimeout(timeout)
        b0, b1 = self._need(2)
        assert not b1 & 0x80, "server frames must not be masked"
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._need(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._need(8))[0]
        return b0 & 0x0F, self._need(n)

    def events(self, n, timeout=10):
        """The next `n` event frames as JSON, skipping other frames."""
        out = []
        while len(out) < n:
            m = self.recv(timeout=timeout)
            if m["type"] == "event":
                out.append(m)
        return out

    def recv(self, timeout=10, skip_pings=True):
        """The next text message as JSON; raises Closed on a close frame."""
        while True:
            op, payload = self.recv_frame(timeout)
            if op == TEXT:
                return json.loads(payload)
            if op == CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.closed = code
                raise Closed(code, payload[2:].decode(errors="replace"))
            if op == PING and not skip_pings:
                return {"_ping": payload}

    def recv_until_closed(self, timeout=10):
        """Reads until the server closes; returns the close code (None: TCP dropped)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                self.recv(timeout=max(0.01, deadline - time.time()))
            except Closed as c:
                return c.code
            except (ConnectionError, OSError):
                return None
        raise AssertionError("server did not close the connection")

    def shut(self):
        try:
            self.sock.close()
        except OSError:
            pass
