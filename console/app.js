// Herald's console: live actor tree, charts, session search and the DLQ.
// Live numbers come over a WebSocket to Herald itself (channel herald.monitor,
// a snapshot a second, joined with a console token); searches and DLQ actions
// use the HTTP API with the operator's API key, kept in sessionStorage.
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const KEY = "herald.apiKey";
  const HISTORY = 120;
  let apiKey = sessionStorage.getItem(KEY) || "";
  let client = null;
  let last = null; // previous snapshot, for rates
  let lastDead = -1;
  const series = { t: [], connections: [], rate: [] };
  let charts = null;

  async function api(method, path) {
    const r = await fetch(path, { method, headers: apiKey ? { Authorization: "Bearer " + apiKey } : {} });
    let body = null;
    try {
      body = await r.json();
    } catch (e) {
      body = null;
    }
    return { status: r.status, body };
  }

  function text(el, value) {
    el.textContent = value === null || value === undefined ? "–" : String(value);
  }

  function cell(tr, value) {
    const td = document.createElement("td");
    text(td, value);
    tr.appendChild(td);
    return td;
  }

  async function start(event) {
    if (event) event.preventDefault();
    if (event) apiKey = $("key-input").value.trim();
    const token = await api("POST", "/api/v1/console/token");
    if (token.status !== 200) {
      $("key-form").hidden = false;
      $("main").hidden = true;
      text($("key-error"), token.status === 401 ? "wrong API key" : "console token refused (" + token.status + ")");
      return;
    }
    sessionStorage.setItem(KEY, apiKey);
    $("key-form").hidden = true;
    $("main").hidden = false;
    makeCharts();
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    client = new HeraldClient({
      url: scheme + "//" + location.host + "/ws",
      channels: [token.body.channel],
      // A fresh token on every (re)connect.
      token: async () => (await api("POST", "/api/v1/console/token")).body.token,
    });
    client.on("welcome", () => setLive(true));
    client.on("close", () => setLive(false));
    client.on("event", (e) => {
      if (e.event === "snapshot") render(e.data);
    });
    client.connect();
    refreshDlq();
  }

  function setLive(on) {
    const el = $("live");
    el.className = "pill " + (on ? "on" : "off");
    el.textContent = on ? "live" : "reconnecting";
  }

  function makeCharts() {
    if (charts || typeof uPlot === "undefined") return;
    const opts = (label, stroke) => ({
      width: 520,
      height: 180,
      series: [{}, { label, stroke, width: 2 }],
      axes: [{}, {}],
    });
    charts = {
      connections: new uPlot(opts("connections", "#2e6fd8"), [[], []], $("chart-connections")),
      rate: new uPlot(opts("deliveries/s", "#2e8b57"), [[], []], $("chart-rate")),
    };
  }

  function render(s) {
    const now = s.t / 1000;
    let rate = 0;
    if (last && s.t > last.t) rate = Math.max(0, (s.total_messages - last.total_messages) / ((s.t - last.t) / 1000));
    const before = last;
    // A history counter's change per second since the previous snapshot.
    const rate_of = (key) =>
      before && before.history && s.t > before.t
        ? (Math.max(0, s.history[key] - before.history[key]) / ((s.t - before.t) / 1000)).toFixed(1)
        : "0.0";
    last = s;
    text($("node"), s.node_id ? "node " + s.node_id : "");
    text($("connections"), s.connections);
    text($("sessions-count"), s.total_sessions);
    text($("users-count"), s.users);
    text($("rate"), Math.round(rate));
    const dead = s.queue ? s.queue.dead : 0;
    text($("dead-count"), dead);
    text($("delayed-count"), s.queue ? s.queue.delayed : 0);
    text($("expired-count"), s.queue ? s.queue.expired : 0);
    const esc = s.queue && s.queue.escalations ? s.queue.escalations : { cancelled: 0, notified: 0 };
    text($("escalated-count"), esc.notified);
    text($("escalation-cancelled-count"), esc.cancelled);
    if (dead !== lastDead) {
      lastDead = dead;
      refreshDlq();
    }
    const banner = $("banner");
    if (s.health.status !== "ok") {
      banner.hidden = false;
      banner.textContent = "Node degraded: storage " + s.health.storage + ", redis " + s.health.redis;
    } else {
      banner.hidden = true;
    }
    series.t.push(now);
    series.connections.push(s.connections);
    series.rate.push(rate);
    for (const k of Object.keys(series)) if (series[k].length > HISTORY) series[k].shift();
    if (charts) {
      charts.connections.setData([series.t, series.connections]);
      charts.rate.setData([series.t, series.rate]);
    }
    renderTree(s);
    renderHistory(s, rate_of);
  }

  // Channel history: events kept per channel, and recoveries per second
  // (a client's since answered recovered true or false).
  function renderHistory(s, rateOf) {
    const h = s.history;
    text($("recovered-rate"), h ? rateOf("recovered") : null);
    text($("not-recovered-rate"), h ? rateOf("not_recovered") : null);
    const body = $("history-table").querySelector("tbody");
    body.replaceChildren();
    for (const c of (h && h.channels) || []) {
      const tr = document.createElement("tr");
      cell(tr, c.channel);
      cell(tr, c.kept);
      body.appendChild(tr);
    }
    text($("history-note"), h && h.channels.length ? "" : "No channel with history written on this node yet.");
  }

  // Roots, then their children (sessions under the registry, notifiers under the queue).
  function renderTree(s) {
    const body = $("tree").querySelector("tbody");
    body.textContent = "";
    const byParent = {};
    for (const a of s.actors) (byParent[a.parent || ""] = byParent[a.parent || ""] || []).push(a);
    const order = ["registry", "inbox", "queue", "dlq", "redis"];
    const roots = (byParent[""] || []).sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    if (s.health.redis !== "disabled" && !roots.some((a) => a.kind === "redis"))
      roots.push({ name: "redis", kind: "redis", state: s.health.redis, mailbox: 0, processed: 0, per_second: 0, failures: 0, restarts: 0 });
    const row = (a, depth) => {
      const tr = document.createElement("tr");
      tr.className = "depth-" + depth + (a.failures || a.last_error || /open|failed|down/.test(a.state || "") ? " bad" : "");
      tr.dataset.actor = a.name;
      tr.dataset.kind = a.kind;
      cell(tr, a.kind === "session" ? a.name + " (" + a.user + ")" : a.name);
      cell(tr, a.kind);
      cell(tr, a.state);
      cell(tr, a.mailbox);
      cell(tr, a.processed);
      cell(tr, (a.per_second || 0).toFixed(1));
      cell(tr, a.failures);
      cell(tr, a.restarts);
      cell(tr, a.last_error || "");
      body.appendChild(tr);
      for (const c of byParent[a.name] || []) row(c, depth + 1);
    };
    for (const r of roots) row(r, 0);
    const shown = (byParent["registry"] || []).length;
    text($("tree-note"), s.total_sessions > shown ? "showing " + shown + " of " + s.total_sessions + " sessions; search by user below" : "");
  }

  async function search(event) {
    event.preventDefault();
    const user = $("search-input").value.trim();
    const r = await api("GET", "/api/v1/actors?limit=100&user=" + encodeURIComponent(user));
    const body = $("search-results").querySelector("tbody");
    body.textContent = "";
    if (r.status !== 200) return;
    for (const a of r.body.actors.filter((x) => x.kind === "session")) {
      const tr = document.createElement("tr");
      cell(tr, a.name);
      cell(tr, a.user);
      cell(tr, a.state);
      cell(tr, (a.channels || []).join(", "));
      cell(tr, a.last_seen);
      cell(tr, a.outbound);
      cell(tr, a.mailbox);
      body.appendChild(tr);
    }
  }

  async function refreshDlq() {
    const r = await api("GET", "/api/v1/dlq?limit=100");
    const body = $("dlq-table").querySelector("tbody");
    body.textContent = "";
    if (r.status !== 200) return;
    for (const j of r.body.jobs) {
      const tr = document.createElement("tr");
      tr.dataset.jobId = j.job_id;
      cell(tr, j.job_id);
      cell(tr, j.sink);
      cell(tr, j.payload.to);
      cell(tr, j.attempts);
      cell(tr, j.last_error);
      cell(tr, j.failed_at);
      const td = cell(tr, "");
      for (const [label, method, path] of [
        ["Retry", "POST", "/retry"],
        ["Delete", "DELETE", ""],
      ]) {
        const b = document.createElement("button");
        b.textContent = label;
        b.className = label.toLowerCase();
        b.onclick = async () => {
          b.disabled = true;
          await api(method, "/api/v1/dlq/" + encodeURIComponent(j.job_id) + path);
          refreshDlq();
        };
        td.appendChild(b);
      }
      body.appendChild(tr);
    }
  }

  $("key-form").addEventListener("submit", start);
  $("search-form").addEventListener("submit", search);
  start(); // with the stored key, or none (an API without keys); asks when refused
})();
