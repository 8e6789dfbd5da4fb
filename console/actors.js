// The supervision tree and one actor's page. The tree always shows every
// actor but the sessions; those are summed up in one row under the registry,
// and the snapshot's busiest 20 (by queued frames, then mailbox) are listed
// in a table of their own below the tree, so the tree's height never grows
// with the sessions.
(function () {
  "use strict";
  const HC = window.HC;
  const $ = HC.$;
  const ROOT_ORDER = ["registry", "inbox", "history", "queue", "dlq", "redis"];
  const trails = new Map(); // actor name → { t, mailbox, rate } over the window
  let latest = null;
  let shown = null; // the actor whose page is open
  let detailChart = null;

  const troubled = (a) => a.failures || a.last_error || /open|failed|down/.test(a.state || "");

  function remember(s) {
    const t = s.t / 1000;
    for (const a of s.actors) {
      let trail = trails.get(a.name);
      if (!trail) trails.set(a.name, (trail = { t: [], mailbox: [], rate: [] }));
      trail.t.push(t);
      trail.mailbox.push(a.mailbox);
      trail.rate.push(a.per_second || 0);
      while (trail.t.length && trail.t[0] < t - HC.WINDOW_S) for (const k of ["t", "mailbox", "rate"]) trail[k].shift();
    }
    for (const [name, trail] of trails) if (trail.t[trail.t.length - 1] < t - HC.WINDOW_S) trails.delete(name);
  }

  function withRedis(s) {
    const actors = s.actors.slice();
    if (s.health.redis !== "disabled" && !actors.some((a) => a.kind === "redis"))
      actors.push({ name: "redis", kind: "redis", state: s.health.redis, mailbox: 0, processed: 0, per_second: 0, failures: 0, restarts: 0,
        latency_ms: s.point ? s.point.redis_ms : null });
    return actors;
  }

  function row(body, a, depth, last = a.last_error || "") {
    const tr = document.createElement("tr");
    tr.className = "depth-" + depth + (troubled(a) ? " bad" : "");
    tr.dataset.actor = a.name;
    tr.dataset.kind = a.kind;
    HC.cell(tr, a.kind === "session" ? a.name + " (" + a.user + ")" : a.name);
    HC.cell(tr, a.kind);
    HC.cell(tr, a.state);
    HC.cell(tr, a.mailbox);
    HC.cell(tr, a.processed);
    HC.cell(tr, (a.per_second || 0).toFixed(1));
    HC.cell(tr, a.failures);
    HC.cell(tr, a.restarts);
    HC.cell(tr, last, "wrap");
    tr.onclick = () => (location.hash = "#actor/" + encodeURIComponent(a.name));
    body.appendChild(tr);
  }

  function summary(body, s, shownSessions) {
    const tr = document.createElement("tr");
    tr.className = "depth-1 summary";
    tr.id = "sessions-summary";
    const td = HC.cell(tr, "");
    td.colSpan = 9;
    const a = document.createElement("a");
    a.href = "#sessions";
    a.textContent = s.total_sessions + " sessions";
    td.append(a, shownSessions ? " · the busiest " + shownSessions + " listed below the tree" : "");
    body.appendChild(tr);
  }

  function renderTree(s) {
    const body = $("tree").querySelector("tbody");
    body.replaceChildren();
    const byParent = {};
    for (const a of withRedis(s)) (byParent[a.parent || ""] = byParent[a.parent || ""] || []).push(a);
    const roots = (byParent[""] || []).sort((a, b) => ROOT_ORDER.indexOf(a.kind) - ROOT_ORDER.indexOf(b.kind));
    let sessions = [];
    const walk = (a, depth) => {
      row(body, a, depth);
      const children = byParent[a.name] || [];
      if (a.kind === "registry") {
        sessions = children.filter((c) => c.kind === "session");
        summary(body, s, sessions.length);
      }
      for (const c of children) if (c.kind !== "session") walk(c, depth + 1);
    };
    for (const r of roots) walk(r, 0);
    const busiest = $("busiest").querySelector("tbody");
    busiest.replaceChildren();
    for (const a of sessions) row(busiest, a, 0, a.outbound);
    $("busiest-title").textContent = "Busiest sessions (" + sessions.length + " of " + s.total_sessions + ", by queued frames, then mailbox)";
    const scanned = s.sessions_scanned;
    HC.text($("tree-note"), scanned !== null && scanned < s.total_sessions
      ? "The busiest sessions are picked among the first " + scanned + " (console.scan_sessions)." : "");
  }

  const FIELDS = [
    ["kind", "kind"], ["parent", "supervisor"], ["state", "state"], ["mailbox", "mailbox"], ["processed", "messages processed"],
    ["per_second", "messages/s"], ["failures", "failures"], ["restarts", "restarts"], ["last_error", "last error"],
    ["user", "user"], ["channels", "channels"], ["last_seen", "last seen"], ["outbound", "queued frames"], ["in_hand", "jobs in hand"],
    ["latency_ms", "ping ms"],
  ];

  function renderActor() {
    if (shown === null || !latest) return;
    HC.text($("actor-name"), shown);
    const a = withRedis(latest).find((x) => x.name === shown);
    $("actor-missing").hidden = !!a;
    const dl = $("actor-fields");
    dl.replaceChildren();
    if (a)
      for (const [key, label] of FIELDS) {
        if (!(key in a)) continue;
        const dt = document.createElement("dt");
        dt.textContent = label;
        const dd = document.createElement("dd");
        dd.dataset.field = key;
        let v = a[key];
        if (Array.isArray(v)) v = v.join(", ");
        if (key === "per_second") v = (v || 0).toFixed(1);
        HC.text(dd, v === "" ? null : v);
        dl.append(dt, dd);
      }
    const trail = trails.get(shown);
    if (!detailChart) detailChart = HC.timeChart($("chart-actor"), ["mailbox", "messages/s"], { height: 180 });
    if (trail) for (let i = 0; i < trail.t.length; ++i) detailChart.add(trail.t[i], [trail.mailbox[i], trail.rate[i]], false);
    detailChart.redraw();
  }

  HC.actors = {
    render(s) {
      latest = s;
      remember(s);
      renderTree(s);
      renderActor();
    },
    show(name) {
      if (shown !== name) {
        // A fresh chart for another actor.
        $("chart-actor").replaceChildren();
        detailChart = null;
      }
      shown = name;
      renderActor();
    },
  };
})();
