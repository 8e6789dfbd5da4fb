"""The README's set-up runs on Debian 12's own packages: Node.js 18.20 (npm 9).
Every npm package a lock file pins must accept that Node (the lock file
once resolved playwright-core to a release that needs Node 20)."""
import json
import os
import re
import unittest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DEBIAN_NODE = (18, 20, 4)
LOCK_FILES = ["console/package-lock.json", "bench/peers/package-lock.json"]


def version(text):
    parts = [int(p) for p in re.findall(r"\d+", text)[:3]]
    return tuple(parts + [0] * (3 - len(parts)))


def satisfies(v, spec):
    """Enough of npm's range grammar for engines fields: ||, space-joined
    comparators, >=, >, <=, <, =, ^, ~, x-ranges and *."""
    for alternative in spec.split("||"):
        ok = True
        for comp in alternative.split():
            m = re.match(r"^(>=|<=|>|<|=|\^|~)?v?([\dxX*.]+)$", comp)
            if not m:
                ok = False
                break
            op, ver = m.group(1) or "", m.group(2)
            if ver in ("*", "x", "X"):
                continue
            bound = version(ver.replace("x", "0").replace("X", "0").replace("*", "0"))
            if op == ">=":
                ok &= v >= bound
            elif op == ">":
                ok &= v > bound
            elif op == "<=":
                ok &= v <= bound
            elif op == "<":
                ok &= v < bound
            elif op == "^":
                ok &= bound <= v < (bound[0] + 1, 0, 0)
            elif op == "~":
                ok &= bound <= v < (bound[0], bound[1] + 1, 0)
            else:
                given = len(re.findall(r"\d+", ver))
                ok &= v[:given] == bound[:given]
        if ok:
            return True
    return False


class SetupTest(unittest.TestCase):

    def test_the_range_reader(self):
        self.assertTrue(satisfies(DEBIAN_NODE, ">=18"))
        self.assertFalse(satisfies(DEBIAN_NODE, ">=20"))
        self.assertTrue(satisfies(DEBIAN_NODE, "^14.17.0 || ^16.10.0 || >=18.0.0"))
        self.assertFalse(satisfies(DEBIAN_NODE, ">=18.19.0 <18.20.0"))
        self.assertTrue(satisfies(DEBIAN_NODE, "18.x"))

    def test_every_pinned_npm_package_runs_on_debians_node_18(self):
        for lock in LOCK_FILES:
            path = os.path.join(ROOT, lock)
            if not os.path.exists(path):
                continue
            packages = json.load(open(path)).get("packages", {})
            for name, meta in packages.items():
                engines = meta.get("engines")
                if isinstance(engines, dict) and "node" in engines:
                    self.assertTrue(satisfies(DEBIAN_NODE, engines["node"]),
                                    f"{lock}: {name or '(root)'} needs node {engines['node']}")


if __name__ == "__main__":
    unittest.main()
