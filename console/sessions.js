// The sessions page: this node's sessions by user and/or channel, sorted by
// id (newest first), user or their live numbers, a page of 50 at a time
// (GET /api/v1/actors).
(function () {
  "use strict";
  const HC = window.HC;
  const $ = HC.$;
  const PAGE = 50;
  let offset = 0;

  async function load() {
    const params = new URLSearchParams({ limit: PAGE, offset });
    const user = $("search-input").value.trim();
    const channel = $("channel-input").value.trim();
    const sort = $("sort-select").value;
    if (user) params.set("user", user);
    if (channel) params.set("channel", channel);
    params.set("sort", sort);
    params.set("order", sort === "user" ? "asc" : "desc");
    const r = await HC.api("GET", "/api/v1/actors?" + params);
    const body = $("search-results").querySelector("tbody");
    body.replaceChildren();
    if (r.status !== 200) {
      HC.text($("sessions-note"), "Could not list sessions: " + ((r.body && r.body.error) || r.status));
      return;
    }
    const sessions = r.body.actors.filter((a) => a.kind === "session");
    for (const a of sessions) {
      const tr = document.createElement("tr");
      tr.dataset.actor = a.name;
      HC.cell(tr, a.name);
      HC.cell(tr, a.user);
      HC.cell(tr, a.state);
      HC.cell(tr, (a.channels || []).join(", "), "wrap");
      const seen = HC.cell(tr, HC.ago(a.last_seen));
      if (a.last_seen) seen.title = a.last_seen;
      HC.cell(tr, a.outbound);
      HC.cell(tr, a.mailbox);
      body.appendChild(tr);
    }
    const total = r.body.total_sessions;
    HC.text($("sessions-range"), total ? offset + 1 + "–" + (offset + sessions.length) + " of " + total : "no session matches");
    const cut = r.body.scanned < total ? " Sorted among the first " + r.body.scanned + " by id (console.scan_sessions)." : "";
    HC.text($("sessions-note"), cut.trim());
    $("sessions-prev").disabled = offset === 0;
    $("sessions-next").disabled = offset + PAGE >= total;
  }

  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    offset = 0;
    load();
  });
  $("sort-select").addEventListener("change", () => {
    offset = 0;
    load();
  });
  $("sessions-prev").addEventListener("click", () => {
    offset = Math.max(0, offset - PAGE);
    load();
  });
  $("sessions-next").addEventListener("click", () => {
    offset += PAGE;
    load();
  });

  HC.sessions = { load };
})();
