"""docs/operations.md: the command line and the config file, through the real binary."""
import json
import os
import subprocess
import tempfile
import unittest

from harness import HERALD_BIN, Herald, make_config


def run(args, env=None, cwd=None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    full_env.update(env or {})
    return subprocess.run([HERALD_BIN] + args, capture_output=True, text=True, env=full_env,
                          timeout=20, cwd=cwd)


def write(text):
    fd, path = tempfile.mkstemp(suffix=".toml")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


class CliConfigTest(unittest.TestCase):
    def test_version(self):
        r = run(["--version"])
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^herald \d+\.\d+\.\d+")

    def test_check_config_prints_effective_config(self):
        path = write(make_config({"heartbeat.stale_after": "90s"}))
        r = run(["--check-config", path], env={"HERALD_SESSION_RESUME_BUFFER": "12"})
        self.assertEqual(r.returncode, 0, r.stderr)
        cfg = json.loads(r.stdout)
        self.assertEqual(cfg["heartbeat"]["stale_after"], "90s")
        self.assertEqual(cfg["heartbeat"]["interval"], "30s")
        self.assertEqual(cfg["session"]["resume_buffer"], 12)
        self.assertEqual(cfg["server"]["max_message_bytes"], 65536)
        self.assertEqual(cfg["queue"]["max_delay"], "5m")
        self.assertEqual(cfg["redis"]["key_prefix"], "herald:")

    def test_bad_config_names_file_key_and_problem(self):
        path = write(make_config({"heartbeat.interval": "30x"}))
        r = run(["--check-config", path])
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.strip(), f'{path}: heartbeat.interval: "30x" is not a duration')
        r = run(["--config", path])
        self.assertEqual(r.returncode, 1)
        self.assertIn("heartbeat.interval", r.stderr)

    def test_unknown_key_and_unreadable_file(self):
        path = write(make_config({"server.colour": "blue"}))
        r = run(["--check-config", path])
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{path}: server.colour: unknown key", r.stderr)
        r = run(["--check-config", "/no/such/herald.toml"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("/no/such/herald.toml", r.stderr)

    def test_empty_secret_with_auth_required_refuses_to_start(self):
        path = write('[auth]\nrequired = true\njwt_secret = ""\n[storage]\nbackend = "memory"\n')
        r = run(["--config", path])
        self.assertEqual(r.returncode, 1)
        self.assertIn("auth.jwt_secret", r.stderr)

    def test_env_override_wins_and_bad_env_is_named(self):
        path = write(make_config({}))
        r = run(["--check-config", path], env={"HERALD_SERVER_LISTEN": "127.0.0.1:9999"})
        self.assertEqual(json.loads(r.stdout)["server"]["listen"], "127.0.0.1:9999")
        r = run(["--check-config", path], env={"HERALD_SERVER_THREADS": "many"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("HERALD_SERVER_THREADS", r.stderr)
        self.assertIn("server.threads", r.stderr)

    def test_embedded_config_runs_without_a_file(self):
        empty_dir = tempfile.mkdtemp()
        r = run(["--check-config", ""], env={"HERALD_AUTH_JWT_SECRET": "x0123456789abcdef0123456789abcdef"}, cwd=empty_dir)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(json.loads(r.stdout)["storage"]["backend"], "sqlite")

    def test_unknown_flag(self):
        r = run(["--frobnicate"])
        self.assertEqual(r.returncode, 1)
        self.assertIn("usage", r.stderr)

    def test_port_zero_picks_a_free_port_and_logs_it(self):
        with Herald() as h:
            self.assertGreater(h.port, 0)
            status, body = h.http("GET", "/api/v1/websocket/health", key=None)
            self.assertEqual(status, 200)
            self.assertEqual(body["status"], "ok")
            self.assertEqual(body["storage"], "ok")
            self.assertEqual(body["redis"], "disabled")
            self.assertIsInstance(body["uptime_s"], int)
            self.assertIn("[net]", h.log_text())


if __name__ == "__main__":
    unittest.main()
