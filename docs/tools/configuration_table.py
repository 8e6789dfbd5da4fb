#!/usr/bin/env python3
"""Prints the key tables of docs/configuration.md from a built herald.

    python3 docs/tools/configuration_table.py build/herald

Defaults come from `herald --check-config` on config/herald.toml (the
configuration compiled into the binary),
what each key does from the comments of config/herald.toml, ranges from
config/config.cpp. tests/integration/test_docs.py checks the page against
the binary, so a key added to the schema without a line here fails CI.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "x" * 32
SINK_DOC = {
    "name": "unique name (1–64 of A-Z a-z 0-9 _ . -), used in /notify and the API",
    "kind": '"webhook", "telegram" or "webpush"',
    "url": "webhook: the http(s) URL posted to (secret: never printed)",
    "base_url": "telegram: the API base URL",
    "token": "telegram: the bot token (secret)",
    "secret": 'webhook: "whsec_<base64 of a 24–64 byte key>" signs every POST (Standard Webhooks headers webhook-id, webhook-timestamp, webhook-signature; secret)',
    "headers": 'webhook: more headers for every POST, e.g. {Authorization = "Bearer …"} (values secret: never printed)',
    "rate_per_sec": "requests per second at most, for the whole deployment (docs/operations.md)",
    "timeout": "one request's time limit",
    "breaker_failures": "consecutive failures that open the circuit breaker",
    "breaker_cooldown": "how long an open breaker waits before one probe",
    "require_opt_in": "true: only recipients registered with PUT /api/v1/optin/{sink}/{to}",
    "vapid_private_key_file": "webpush: the VAPID key, a PEM EC P-256 private key (openssl ecparam -name prime256v1 -genkey -noout); read at start",
    "vapid_subject": 'webpush: the contact the push service sees, "mailto:…" or "https://…"',
    "push_ttl": "webpush: how long the push service keeps a push for an offline browser (0–28 days)",
}

CHANNEL_DOC = {
    "match": "an exact channel name, or a prefix ending in *; the first entry that matches wins",
    "history_size": "events kept per channel (offsets, recovery); 0 = no history",
    "history_ttl": "older events are not replayed",
    "presence": "GET /api/v1/channels/{name}/presence answers for it",
    "join_leave": "members get join/leave frames",
}


def effective(herald, toml_text=None):
    env = dict(os.environ, HERALD_AUTH_JWT_SECRET=SECRET)
    with tempfile.TemporaryDirectory() as tmp:
        # The shipped file is the one compiled into the binary.
        path = os.path.join(ROOT, "config", "herald.toml")
        if toml_text is not None:
            path = os.path.join(tmp, "herald.toml")
            with open(path, "w") as f:
                f.write(toml_text)
        out = subprocess.run([herald, "--check-config", path], env=env, capture_output=True,
                             text=True, check=True, cwd=tmp)
    return json.loads(out.stdout)


def comments():
    out, section = {}, None
    for line in open(os.path.join(ROOT, "config", "herald.toml")):
        if m := re.match(r"^\[(\w+)\]", line):
            section = m.group(1)
        elif section and (m := re.match(r"^(\w+)\s*=.*?(?:#\s*(.*))?$", line)):
            out[f"{section}.{m.group(1)}"] = (m.group(2) or "").strip()
    return out


def ranges():
    src = open(os.path.join(ROOT, "config", "config.cpp")).read()
    out = {}
    for key, lo, hi in re.findall(r'check_range\("([a-z_.]+)", [^,]+, ([0-9\'_]+), ([0-9\'_]+)\)', src):
        out[key] = f"{lo.replace(chr(39), ',')}–{hi.replace(chr(39), ',')}"
    for key in re.findall(r'check_positive\("([a-z_.]+)"', src):
        out[key] = "> 0"
    return out


# Keys whose line in config/herald.toml has no comment.
NOTES = {
    "server.shutdown_grace": "on SIGTERM: sessions get 1001 and the node waits this long at most",
    "delivery.inbox_ttl": "stored events older than this are dropped",
    "redis.url": "redis://[user:password@]host:port/db; shipped: redis://127.0.0.1:6379/0",
    "redis.connect_timeout": "one connection attempt's time limit",
    "redis.command_timeout": "one command's time limit",
    "redis.key_prefix": "every key Herald writes starts with it",
    "queue.max_attempts": "attempts before a job goes to the DLQ",
    "queue.base_delay": "the first retry's delay; doubled each time, ±20 % jitter",
    "queue.max_delay": "the longest retry delay",
    "queue.visibility_timeout": "a job's lease while a notifier has it; expired → due again",
    "queue.restart_period": "the window of queue.restart_intensity",
}


def show(value):
    if value == "<redacted>":  # a secret: --check-config never prints one
        return "(secret)"
    return "`" + json.dumps(value) + "`"


def tables(herald):
    return "\n".join(lines(herald)) + "\n"


def lines(herald):
    cfg = effective(herald)
    notes, limits = comments(), ranges()
    for section in sorted(k for k in cfg if isinstance(cfg[k], dict)):
        yield f"### [{section}]\n"
        yield "| key | default | range | what it does |"
        yield "|---|---|---|---|"
        for key, value in sorted(cfg[section].items()):
            full = f"{section}.{key}"
            note = notes.get(full) or NOTES.get(full, "")
            yield f"| `{full}` | {show(value)} | {limits.get(full, '')} | {note} |"
        yield ""
    sinks = effective(herald, '[auth]\njwt_secret = "' + SECRET + '"\n[[sinks]]\nname = "a"\n'
                      'kind = "webhook"\nurl = "http://127.0.0.1:1/"\n')["sinks"][0]
    yield "### [[sinks]]\n"
    yield "| key | default | what it does |"
    yield "|---|---|---|"
    for key, value in sorted(sinks.items()):
        default = "" if key in ("name", "kind", "url") else show(value)
        yield f"| `sinks[].{key}` | {default} | {SINK_DOC.get(key, '')} |"
    channels = effective(herald, '[auth]\njwt_secret = "' + SECRET + '"\n[[channels]]\n'
                         'match = "a"\n')["channels"][0]
    yield ""
    yield "### [[channels]]\n"
    yield "| key | default | what it does |"
    yield "|---|---|---|"
    for key, value in sorted(channels.items()):
        default = "" if key == "match" else show(value)
        yield f"| `channels[].{key}` | {default} | {CHANNEL_DOC.get(key, '')} |"


if __name__ == "__main__":
    sys.stdout.write(tables(sys.argv[1]))
