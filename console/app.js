// Herald's console: boot, pages and the live feed. Live numbers come over a
// WebSocket to Herald itself (channel herald.monitor, a snapshot a second,
// joined with a console token); the charts start from the node's last five
// minutes (GET /api/v1/console/series); searches and DLQ actions use the
// HTTP API with the operator's API key.
(function () {
  "use strict";
  const HC = window.HC;
  const $ = HC.$;
  let client = null;
  let last = null; // the previous snapshot, for rates
  let lastDead = -1;

  function route() {
    let hash = location.hash.replace(/^#/, "");
    try {
      hash = decodeURIComponent(hash);
    } catch (e) {
      hash = ""; // a malformed link: the overview
    }
    const [page, ...rest] = hash.split("/");
    const name = ["overview", "actors", "sessions", "dlq", "actor"].includes(page) ? page : "overview";
    for (const s of document.querySelectorAll("section.page")) s.hidden = s.dataset.page !== name;
    for (const a of document.querySelectorAll("#nav a"))
      a.classList.toggle("current", a.dataset.page === name || (name === "actor" && a.dataset.page === "actors"));
    if (name === "actor") HC.actors.show(rest.join("/"));
    if (name === "sessions") HC.sessions.load();
    if (name === "dlq") HC.dlq.refresh();
  }

  async function start(event) {
    if (event) {
      event.preventDefault();
      HC.saveKey($("key-input").value.trim());
    }
    const token = await HC.api("POST", "/api/v1/console/token");
    if (token.status !== 200) {
      $("key-form").hidden = false;
      $("main").hidden = true;
      HC.text($("key-error"), token.status === 401 ? "wrong API key" : "console token refused (" + token.status + ")");
      return;
    }
    HC.saveKey(HC.apiKey);
    $("key-form").hidden = true;
    $("main").hidden = false;
    $("nav").hidden = false;
    route();
    const series = await HC.api("GET", "/api/v1/console/series");
    if (series.status === 200) HC.overview.seed(series.body.points);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    client = new HeraldClient({
      url: scheme + "//" + location.host + "/ws",
      channels: [token.body.channel],
      // A fresh token on every (re)connect.
      token: async () => (await HC.api("POST", "/api/v1/console/token")).body.token,
    });
    client.on("welcome", () => setLive(true));
    client.on("close", () => setLive(false));
    client.on("event", (e) => {
      if (e.event === "snapshot") render(e.data);
    });
    client.connect();
  }

  function setLive(on) {
    const el = $("live");
    el.className = "pill " + (on ? "on" : "off");
    el.textContent = on ? "live" : "reconnecting";
  }

  function render(s) {
    const before = last;
    last = s;
    HC.text($("node"), s.node_id ? "node " + s.node_id : "");
    const banner = $("banner");
    banner.hidden = s.health.status === "ok";
    if (!banner.hidden) banner.textContent = "Node degraded: storage " + s.health.storage + ", redis " + s.health.redis;
    const dead = s.queue ? s.queue.dead : 0;
    HC.dlq.setTotal(s.queue ? dead : null);
    $("nav-dead").textContent = dead ? String(dead) : "";
    HC.overview.render(s, before);
    HC.actors.render(s);
    if (dead !== lastDead) {
      lastDead = dead;
      if (!$("main").querySelector('section[data-page="dlq"]').hidden) HC.dlq.refresh();
    }
  }

  window.addEventListener("hashchange", route);
  $("key-form").addEventListener("submit", start);
  start(); // with the stored key, or none (an API without keys); asks when refused
})();
