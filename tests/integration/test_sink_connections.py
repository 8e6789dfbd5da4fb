"""Outbound connections to sinks are kept alive and reused
(queue.sink_idle_connections, queue.sink_idle_timeout); a kept connection
the sink closed while it was idle costs no job and no duplicate."""
import socket
import threading
import time
import unittest

from harness import Herald, wait_for
from test_queue import hook, job


class RawSink:
    """An HTTP/1.1 sink on a raw socket: counts connections and requests;
    with `close_idle_after` it drops each connection that long after
    answering, without saying so (as a sink's idle timeout does)."""

    def __init__(self, close_idle_after=None):
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.close_idle_after = close_idle_after
        self.connections = 0
        self.requests = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def accept(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        data = b""
        with conn:
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, data = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(data) < length:
                    data += conn.recv(65536)
                body, data = data[:length], data[length:]
                with self.lock:
                    self.requests.append(body)
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}")
                if self.close_idle_after is not None:
                    time.sleep(self.close_idle_after)
                    return

    def close(self):
        self.listener.close()


class SinkConnectionsTest(unittest.TestCase):
    def test_one_connection_serves_many_jobs(self):
        sink = RawSink()
        try:
            with Herald(sinks=[hook("kept", sink.url("/k"), rate_per_sec=1000)]) as h:
                for i in range(20):  # one after another: one connection is enough
                    job(h, "kept")
                    wait_for(lambda: h.queue_stats()["completed"] == i + 1)
            self.assertEqual(len(sink.requests), 20)
            self.assertEqual(sink.connections, 1)
        finally:
            sink.close()

    def test_a_connection_the_sink_closed_while_idle_costs_nothing(self):
        sink = RawSink(close_idle_after=0.05)
        try:
            with Herald(sinks=[hook("flaky", sink.url("/f"), rate_per_sec=1000)]) as h:
                for i in range(5):
                    job(h, "flaky", text=f"n{i}")
                    wait_for(lambda: h.queue_stats()["completed"] == i + 1)
                    time.sleep(0.2)  # the sink has dropped the kept connection by now
                st = h.queue_stats()
                self.assertEqual((st["completed"], st["failed"]), (5, 0))
            self.assertEqual(len(sink.requests), 5)  # no job sent twice
            self.assertEqual(sink.connections, 5)
        finally:
            sink.close()

    def test_no_keep_alive_when_switched_off(self):
        sink = RawSink()
        try:
            with Herald(sinks=[hook("plain", sink.url("/p"), rate_per_sec=1000)],
                        queue__sink_idle_connections=0) as h:
                for _ in range(5):
                    job(h, "plain")
                    time.sleep(0.05)
                wait_for(lambda: h.queue_stats()["completed"] == 5)
            self.assertEqual(sink.connections, 5)
        finally:
            sink.close()


if __name__ == "__main__":
    unittest.main()
