// Starts the real herald binary for the client tests: a temp config, a
// fixed free port (so a restart keeps it), HS256 tokens minted here.
"use strict";
const { spawn } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const net = require("node:net");
const os = require("node:os");
const path = require("node:path");
const http = require("node:http");

const BIN = process.env.HERALD_BIN || path.join(__dirname, "..", "..", "build", "herald");
const SECRET = "client-test-secret-0123456789abcdef";
const API_KEY = "client-test-key";

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = s.address().port;
      s.close(() => resolve(port));
    });
  });
}

function b64url(data) {
  return Buffer.from(data).toString("base64").replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
}

function token(sub, channels, exp) {
  const head = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const claims = channels ? { sub, channels } : { sub };
  if (exp !== undefined) claims.exp = exp;
  const body = b64url(JSON.stringify(claims));
  const sig = crypto.createHmac("sha256", SECRET).update(head + "." + body).digest("base64")
    .replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
  return head + "." + body + "." + sig;
}

class Herald {
  // `server`, `auth`: more [server] and [auth] lines; `extra`: more tables after the others.
  constructor(port, extra = "", storage = '[storage]\nbackend = "memory"\n', server = "", auth = "") {
    this.port = port;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "herald-js-"));
    this.config = path.join(this.dir, "herald.toml");
    fs.writeFileSync(this.config, `[server]\nlisten = "127.0.0.1:${port}"\nshutdown_grace = "3s"\n${server}` +
      `[auth]\njwt_secret = "${SECRET}"\napi_keys = ["${API_KEY}"]\n${auth}${storage}` +
      `[session]\nresume_window = "30s"\n${extra}`);
  }

  start() {
    return new Promise((resolve, reject) => {
      this.proc = spawn(BIN, ["--config", this.config], { stdio: ["ignore", "ignore", "pipe"] });
      let log = "";
      this.proc.stderr.on("data", (d) => {
        log += d;
        if (log.includes("listening on")) resolve(this);
      });
      this.proc.on("exit", (code) => reject(new Error("herald exited " + code + ": " + log)));
    });
  }

  stop() {
    return new Promise((resolve) => {
      if (!this.proc || this.proc.exitCode !== null || this.proc.signalCode !== null) return resolve();
      this.proc.removeAllListeners("exit");
      this.proc.on("exit", () => resolve());
      this.proc.kill("SIGTERM");
    });
  }

  publish(body) {
    return new Promise((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = http.request({ host: "127.0.0.1", port: this.port, path: "/api/v1/publish", method: "POST",
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + API_KEY, "Content-Length": data.length } },
        (res) => {
          let out = "";
          res.on("data", (d) => (out += d));
          res.on("end", () => resolve(JSON.parse(out)));
        });
      req.on("error", reject);
      req.end(data);
    });
  }

  url() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }
}

module.exports = { Herald, freePort, token, API_KEY };
