"""The Debian package (./dev package): built with CPack from this build,
installed with dpkg -i into a fresh root (dpkg --root, maintainer scripts run
with DPKG_ROOT), its files and maintainer scripts checked, the installed
binary run on the installed config, the unit verified with systemd-analyze
when it is there, and the package purged again."""
import glob
import json
import os
import re
import shutil
import stat
import subprocess
import tempfile
import unittest
import urllib.request

from harness import HERALD_BIN, free_port, wait_for

BUILD_DIR = os.path.dirname(os.path.realpath(HERALD_BIN))
SANITIZED = os.environ.get("HERALD_SANITIZED") in ("1", "ON", "TRUE", "true")


def fresh_root(path):
    """An empty dpkg database and the few /etc files useradd needs."""
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers", "etc", "usr/sbin"):
        os.makedirs(os.path.join(path, d), exist_ok=True)
    for name, text in (("var/lib/dpkg/status", ""), ("var/lib/dpkg/available", ""),
                       ("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"),
                       ("etc/group", "root:x:0:\n"),
                       ("etc/shadow", "root:*:19000:0:99999:7:::\n"),
                       ("etc/gshadow", "root:*::\n")):
        with open(os.path.join(path, name), "w") as f:
            f.write(text)


@unittest.skipIf(SANITIZED, "the package is built from the Release build (this run tests it)")
@unittest.skipUnless(os.geteuid() == 0, "dpkg -i needs root (CI runs as root)")
class DebianPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="herald-deb-")
        out = os.path.join(cls.tmp, "out")
        subprocess.run(["cpack", "-G", "DEB", "--config", os.path.join(BUILD_DIR, "CPackConfig.cmake"),
                        "-B", out], check=True, capture_output=True, cwd=BUILD_DIR)
        debs = glob.glob(os.path.join(out, "herald_*.deb"))
        assert len(debs) == 1, debs
        cls.deb = debs[0]
        cls.root = os.path.join(cls.tmp, "root")
        fresh_root(cls.root)
        cls.dpkg = ["dpkg", "--root=" + cls.root, "--force-script-chrootless", "--force-depends",
                    "--log=/dev/null"]
        install = subprocess.run(cls.dpkg + ["-i", cls.deb], capture_output=True, text=True)
        assert install.returncode == 0, install.stdout + install.stderr

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, p):
        return os.path.join(self.root, p.lstrip("/"))

    def field(self, name):
        return subprocess.run(["dpkg-deb", "-f", self.deb, name], capture_output=True, text=True,
                              check=True).stdout.strip()

    def env(self):
        values = {}
        for line in open(self.path("/etc/herald/herald.env")):
            if line.strip() and not line.startswith("#"):
                k, v = line.strip().split("=", 1)
                values[k] = v
        return values

    def test_files_in_place(self):
        binary = self.path("/usr/bin/herald")
        self.assertTrue(os.stat(binary).st_mode & stat.S_IXOTH)
        for p in ("/etc/herald/herald.toml", "/lib/systemd/system/herald.service",
                  "/usr/share/doc/herald/README.md", "/usr/share/doc/herald/docs/configuration.md",
                  "/usr/share/doc/herald/docs/operations.md"):
            self.assertTrue(os.path.isfile(self.path(p)), p)
        listed = subprocess.run(["dpkg", "--root=" + self.root, "-L", "herald"], capture_output=True,
                                text=True, check=True).stdout.split()
        self.assertIn("/usr/bin/herald", listed)
        self.assertIn("/etc/herald/herald.toml", listed)
        status = subprocess.run(["dpkg", "--root=" + self.root, "-s", "herald"], capture_output=True,
                                text=True, check=True).stdout
        self.assertIn("Status: install ok installed", status)
        self.assertRegex(status, r"Conffiles:\n /etc/herald/herald.toml [0-9a-f]{32}")
        # The libraries the binary links, found by dpkg-shlibdeps.
        depends = self.field("Depends")
        for lib in ("libcaf-core", "libhiredis", "libsqlite3", "libssl3", "libjwt"):
            self.assertIn(lib, depends)

    def test_postinst_made_user_state_dir_and_secret(self):
        user = [l for l in open(self.path("/etc/passwd")) if l.startswith("herald:")]
        self.assertEqual(len(user), 1)
        _, _, uid, gid, _, home, shell = user[0].strip().split(":")
        self.assertLess(int(uid), 1000)  # a system user
        self.assertEqual(home, "/var/lib/herald")
        self.assertEqual(shell, "/usr/sbin/nologin")
        state = os.stat(self.path("/var/lib/herald"))
        self.assertEqual((state.st_uid, state.st_gid), (int(uid), int(gid)))
        self.assertEqual(stat.S_IMODE(state.st_mode), 0o750)
        env = os.stat(self.path("/etc/herald/herald.env"))
        self.assertEqual(stat.S_IMODE(env.st_mode), 0o600)
        self.assertRegex(self.env()["HERALD_AUTH_JWT_SECRET"], r"^[0-9a-f]{64}$")
        # Configuring again (an upgrade) keeps the user and the secret.
        secret = self.env()["HERALD_AUTH_JWT_SECRET"]
        again = subprocess.run(self.dpkg + ["-i", self.deb], capture_output=True, text=True)
        self.assertEqual(again.returncode, 0, again.stderr)
        self.assertEqual(self.env()["HERALD_AUTH_JWT_SECRET"], secret)
        self.assertEqual(sum(1 for l in open(self.path("/etc/passwd")) if l.startswith("herald:")), 1)

    def test_installed_binary_checks_the_installed_config(self):
        env = dict(os.environ, **self.env())
        check = subprocess.run([self.path("/usr/bin/herald"), "--check-config",
                                self.path("/etc/herald/herald.toml")], env=env, capture_output=True,
                               text=True)
        self.assertEqual(check.returncode, 0, check.stderr)
        effective = json.loads(check.stdout)
        self.assertEqual(effective["storage"]["path"], "/var/lib/herald/herald.db")
        self.assertEqual(effective["storage"]["backend"], "sqlite")
        # Without the secret the installed config refuses, naming the key.
        bare = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
        refused = subprocess.run([self.path("/usr/bin/herald"), "--check-config",
                                  self.path("/etc/herald/herald.toml")], env=bare,
                                 capture_output=True, text=True)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("auth.jwt_secret", refused.stderr)

    def test_installed_binary_serves(self):
        port = free_port()
        data = os.path.join(self.tmp, "served")
        os.makedirs(data, exist_ok=True)
        env = dict(os.environ, **self.env(), HERALD_SERVER_LISTEN=f"127.0.0.1:{port}",
                   HERALD_STORAGE_PATH=os.path.join(data, "herald.db"))
        proc = subprocess.Popen([self.path("/usr/bin/herald"), "--config",
                                 self.path("/etc/herald/herald.toml")], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            def healthy():
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/websocket/health") as r:
                        return json.load(r)["status"] == "ok"
                except OSError:
                    return False
            self.assertTrue(wait_for(healthy, timeout=15))
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/console") as r:
                self.assertIn(b"Herald console", r.read())
        finally:
            proc.terminate()
            self.assertEqual(proc.wait(timeout=15), 0)

    def test_unit_is_hardened(self):
        unit = open(self.path("/lib/systemd/system/herald.service")).read()
        for line in ("User=herald", "ProtectSystem=strict", "StateDirectory=herald", "NoNewPrivileges=yes",
                     "ExecStart=/usr/bin/herald --config /etc/herald/herald.toml",
                     "EnvironmentFile=-/etc/herald/herald.env"):
            self.assertIn(line + "\n", unit)
        self.assertRegex(unit, r"\nLimitNOFILE=\d+\n")
        analyze = shutil.which("systemd-analyze")
        if analyze is None:
            self.skipTest("systemd-analyze is not installed here; the unit's lines were checked")
        # A root with the installed unit and binary next to the host's own units
        # (the targets it names), so verify reads the unit as systemd would.
        vroot = os.path.join(self.tmp, "verify")
        host_units = "/usr/lib/systemd/system"
        if os.path.isdir(host_units):
            shutil.copytree(host_units, os.path.join(vroot, "usr/lib/systemd/system"), symlinks=True)
        for p in ("/lib/systemd/system/herald.service", "/usr/bin/herald", "/etc/passwd", "/etc/group"):
            os.makedirs(os.path.dirname(os.path.join(vroot, p.lstrip("/"))), exist_ok=True)
            shutil.copy2(self.path(p), os.path.join(vroot, p.lstrip("/")))
        verify = subprocess.run([analyze, "verify", "--root=" + vroot, "herald.service"],
                                capture_output=True, text=True)
        # Only what it says of the unit counts (it warns, exit 0, on a bad line).
        mine = [l for l in (verify.stdout + verify.stderr).splitlines() if "herald.service" in l]
        self.assertEqual(mine, [], verify.stdout + verify.stderr)
        self.assertEqual(verify.returncode, 0, verify.stderr)

    def test_zz_purge_removes_it(self):
        purge = subprocess.run(self.dpkg + ["-P", "herald"], capture_output=True, text=True)
        self.assertEqual(purge.returncode, 0, purge.stderr)
        for p in ("/usr/bin/herald", "/etc/herald/herald.toml", "/etc/herald/herald.env",
                  "/lib/systemd/system/herald.service", "/var/lib/herald"):
            self.assertFalse(os.path.exists(self.path(p)), p)


if __name__ == "__main__":
    unittest.main()
