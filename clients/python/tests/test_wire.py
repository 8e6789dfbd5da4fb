"""The publishers against a hostile HTTP server (real sockets): answers that
are not JSON, lack what the route returns, declare bad lengths, or close
mid-answer give a HeraldError, never another exception."""
import asyncio
import socket
import threading
import unittest

import support  # noqa: F401  (sys.path)

from herald_client import AsyncPublisher, HeraldError, Publisher, ServerError, TransportError

ANSWERS = {
    "/api/v1/websocket/health": b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nnot json!",
    "/api/v1/dlq": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    "/api/v1/websocket/stats": b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{\"a\":",
    "/api/v1/queue/stats": b"HTTP/1.1 500 Oops\r\nContent-Length: 3\r\n\r\n[1]",
    "/api/v1/presence/x": b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n",
    "/api/v1/channels": b"garbage\r\n\r\n",
}


class HostileHttp:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                path = data.split(b" ")[1].decode().split("?")[0] if b" " in data else ""
                conn.sendall(ANSWERS.get(path, b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"))


class HostileAnswers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = HostileHttp()
        cls.url = f"http://127.0.0.1:{cls.server.port}"

    def test_blocking(self):
        with Publisher(self.url, retries=0) as pub:
            for call in (pub.health, pub.dlq, pub.stats, pub.queue_stats, lambda: pub.presence("x"),
                         pub.channels):
                with self.assertRaises(HeraldError):
                    call()
            with self.assertRaises(ServerError):
                pub.queue_stats()

    def test_asyncio(self):
        async def scenario():
            async with AsyncPublisher(self.url, retries=0, timeout=3) as pub:
                for call in (pub.health, pub.dlq, pub.stats, pub.queue_stats, lambda: pub.presence("x"),
                             pub.channels):
                    with self.assertRaises(HeraldError):
                        await call()
                with self.assertRaises(TransportError):
                    await pub.stats()  # 50 bytes declared, 5 sent, then closed
        asyncio.run(scenario())


if __name__ == "__main__":
    unittest.main()
