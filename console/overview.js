// The overview: a card per subsystem with its numbers now and a chart of the
// last five minutes, fed from the series (GET /api/v1/console/series) and then
// from each snapshot's point.
(function () {
  "use strict";
  const HC = window.HC;
  const $ = HC.$;
  let charts = null;

  function makeCharts() {
    charts = {
      connections: HC.timeChart($("chart-connections"), ["sockets", "sessions"]),
      deliveries: HC.timeChart($("chart-deliveries"), ["frames/s"]),
      latency: HC.timeChart($("chart-latency"), ["p50 ms", "p99 ms"], { minMax: 1 }),
      queue: HC.timeChart($("chart-queue"), ["waiting", "active", "delayed"]),
      dlq: HC.timeChart($("chart-dlq"), ["dead", "failed/s"]),
      storage: HC.timeChart($("chart-storage"), ["healthy (1 = yes)", "redis ms"]),
    };
  }

  function addPoint(p, redraw) {
    const t = p.t / 1000;
    charts.connections.add(t, [p.connections, p.sessions], redraw);
    charts.deliveries.add(t, [p.deliveries], redraw);
    charts.latency.add(t, [p.p50_ms, p.p99_ms], redraw);
    charts.queue.add(t, [p.waiting, p.active, p.delayed], redraw);
    charts.dlq.add(t, [p.dead, p.failed], redraw);
    charts.storage.add(t, [p.healthy ? 1 : 0, p.redis_ms], redraw);
  }

  function seed(points) {
    if (!charts) makeCharts();
    for (const p of points) addPoint(p, false);
    for (const c of Object.values(charts)) c.redraw();
  }

  // A history counter's change per second between two snapshots.
  function rateOf(s, before, key) {
    if (!before || !before.history || !s.history || s.t <= before.t) return "0.0";
    return (Math.max(0, s.history[key] - before.history[key]) / ((s.t - before.t) / 1000)).toFixed(1);
  }

  function renderSinks(q) {
    const list = $("sink-list");
    list.replaceChildren();
    const sinks = (q && q.sinks) || [];
    for (const s of sinks) {
      const li = document.createElement("li");
      li.dataset.sink = s.name;
      const name = document.createElement("span");
      name.textContent = s.name + (s.failed ? " · " + s.failed + " failed" : "");
      const state = document.createElement("span");
      state.className = "state " + s.breaker;
      state.textContent = s.breaker.replace("_", "-");
      li.append(name, state);
      list.appendChild(li);
    }
    if (!sinks.length) {
      const li = document.createElement("li");
      li.textContent = "No sinks configured.";
      list.appendChild(li);
    }
    $("card-sinks").classList.toggle("alert", sinks.some((s) => s.breaker !== "closed"));
  }

  function renderHistory(s, before) {
    const h = s.history;
    HC.text($("recovered-rate"), h ? rateOf(s, before, "recovered") : null);
    HC.text($("not-recovered-rate"), h ? rateOf(s, before, "not_recovered") : null);
    const body = $("history-table").querySelector("tbody");
    body.replaceChildren();
    for (const c of (h && h.channels) || []) {
      const tr = document.createElement("tr");
      HC.cell(tr, c.channel);
      HC.cell(tr, c.kept);
      body.appendChild(tr);
    }
    HC.text($("history-note"), h && h.channels.length ? "" : "No channel with history written on this node yet.");
  }

  function render(s, before) {
    if (!charts) makeCharts();
    const p = s.point || {};
    addPoint(p, true);
    HC.text($("connections"), s.connections);
    HC.text($("sessions-count"), s.total_sessions);
    HC.text($("users-count"), s.users);
    HC.text($("rate"), Math.round(p.deliveries || 0));
    const inRate = before && s.t > before.t ? (s.messages_in - before.messages_in) / ((s.t - before.t) / 1000) : 0;
    HC.text($("in-rate"), Math.round(Math.max(0, inRate)));
    HC.text($("p50"), HC.num(p.p50_ms, 2));
    HC.text($("p99"), HC.num(p.p99_ms, 2));
    const q = s.queue;
    HC.text($("waiting-count"), q ? q.waiting : null);
    HC.text($("active-count"), q ? q.active : null);
    HC.text($("delayed-count"), q ? q.delayed : null);
    HC.text($("expired-count"), q ? q.expired : null);
    HC.text($("dead-count"), q ? q.dead : null);
    HC.text($("failed-rate"), HC.num(p.failed, 1));
    $("card-dlq").classList.toggle("alert", !!(q && q.dead));
    const esc = (q && q.escalations) || { cancelled: 0, notified: 0 };
    HC.text($("escalated-count"), esc.notified);
    HC.text($("escalation-cancelled-count"), esc.cancelled);
    HC.text($("gone-count"), q ? q.subscriptions_gone : null);
    renderSinks(q);
    HC.text($("storage-state"), s.health.storage);
    HC.text($("redis-state"), s.health.redis);
    HC.text($("redis-ms"), HC.num(p.redis_ms, 2));
    $("card-storage").classList.toggle("alert", s.health.status !== "ok");
    renderHistory(s, before);
  }

  HC.overview = { seed, render };
})();
