"""`herald gentoken` (README, docs/configuration.md): a client token signed
with the configured auth.jwt_secret, accepted by a running server."""
import os
import subprocess
import tempfile
import unittest

from harness import HERALD_BIN, SECRET, Herald, make_config
from rawws import RawWS


def gentoken(*args, env=None):
    return subprocess.run([HERALD_BIN, "gentoken", *args], capture_output=True, text=True, timeout=20,
                          env=env)


class GentokenTest(unittest.TestCase):
    def test_a_generated_token_joins_its_channels(self):
        with Herald() as h:
            r = gentoken("--user", "ann", "--channels", "admin,alerts", "--ttl", "10m", "--config", h.config_path)
            self.assertEqual(r.returncode, 0, r.stderr)
            token = r.stdout.strip()
            ws = RawWS(h.port, "token=" + token + "&channels=admin")
            self.assertEqual(ws.recv()["type"], "welcome")
            h.publish(channel="admin", event="hello", data={"n": 1})
            self.assertEqual(ws.events(1)[0]["data"], {"n": 1})
            ws.close()
            # A channel the token does not grant is refused.
            with self.assertRaises(Exception):
                RawWS(h.port, "token=" + token + "&channels=ops").recv()

    def test_the_secret_may_come_from_the_environment(self):
        with Herald() as h:
            d = tempfile.mkdtemp(prefix="herald-gentoken-")
            path = os.path.join(d, "h.toml")
            with open(path, "w") as f:
                f.write(make_config({"auth.jwt_secret": "", "auth.required": False}))
            env = dict(os.environ, HERALD_AUTH_JWT_SECRET=SECRET)
            r = gentoken("--user", "bo", "--config", path, env=env)
            self.assertEqual(r.returncode, 0, r.stderr)
            ws = RawWS(h.port, "token=" + r.stdout.strip())
            self.assertEqual(ws.recv()["type"], "welcome")
            ws.close()

    def test_bad_arguments_and_no_secret_get_a_clear_error(self):
        with Herald() as h:
            cases = [(("--user", ""), "--user"),
                     (("--user", "a", "--ttl", "0s"), "--ttl"),
                     (("--user", "a", "--ttl", "soon"), "--ttl"),
                     (("--user", "a", "--bogus", "x"), "unknown"),
                     (("--user",), "incomplete")]
            for args, word in cases:
                r = gentoken(*args, "--config", h.config_path) if args != ("--user",) else gentoken(*args)
                self.assertEqual(r.returncode, 1, args)
                self.assertIn(word, r.stderr)
            d = tempfile.mkdtemp(prefix="herald-gentoken-")
            path = os.path.join(d, "h.toml")
            with open(path, "w") as f:
                f.write(make_config({"auth.jwt_secret": "", "auth.required": False}))
            env = {k: v for k, v in os.environ.items() if k != "HERALD_AUTH_JWT_SECRET"}
            r = gentoken("--user", "a", "--config", path, env=env)
            self.assertEqual(r.returncode, 1)
            self.assertIn("auth.jwt_secret", r.stderr)


if __name__ == "__main__":
    unittest.main()
