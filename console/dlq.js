// The DLQ page: dead jobs, newest first, a page at a time, with retry and
// delete, one by one or for the selected rows (each a call to the API; the
// status line counts the answers).
(function () {
  "use strict";
  const HC = window.HC;
  const $ = HC.$;
  const LIMIT = 100;
  let jobs = [];
  let offset = 0;
  let total = null; // dead jobs on the node, from the live snapshot

  const selected = () => [...document.querySelectorAll("#dlq-table tbody input:checked")].map((c) => c.value);

  function updateButtons() {
    const n = selected().length;
    $("dlq-retry-selected").disabled = n === 0;
    $("dlq-delete-selected").disabled = n === 0;
    $("dlq-retry-all").disabled = jobs.length === 0;
    $("dlq-select-all").checked = n > 0 && n === jobs.length;
  }

  // Runs `what` on each job id, four at a time; reports how many succeeded.
  async function each(ids, what) {
    const path = (id) => "/api/v1/dlq/" + encodeURIComponent(id) + (what === "retry" ? "/retry" : "");
    const method = what === "retry" ? "POST" : "DELETE";
    let ok = 0, failed = 0, next = 0;
    HC.text($("dlq-status"), (what === "retry" ? "Retrying " : "Deleting ") + ids.length + "…");
    const worker = async () => {
      while (next < ids.length) {
        const r = await HC.api(method, path(ids[next++]));
        r.status === 200 ? ++ok : ++failed;
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    HC.text($("dlq-status"), (what === "retry" ? "Retried " : "Deleted ") + ok + (failed ? ", " + failed + " failed (already gone?)" : ""));
    refresh();
  }

  async function refresh() {
    const r = await HC.api("GET", "/api/v1/dlq?limit=" + LIMIT + "&offset=" + offset);
    const body = $("dlq-table").querySelector("tbody");
    if (r.status !== 200) {
      HC.text($("dlq-note"), "Could not read the DLQ: " + ((r.body && r.body.error) || r.status));
      return;
    }
    const keep = new Set(selected());
    jobs = r.body.jobs;
    body.replaceChildren();
    for (const j of jobs) {
      const tr = document.createElement("tr");
      tr.dataset.jobId = j.job_id;
      const pick = document.createElement("input");
      pick.type = "checkbox";
      pick.value = j.job_id;
      pick.checked = keep.has(j.job_id);
      pick.setAttribute("aria-label", "select " + j.job_id);
      pick.onchange = updateButtons;
      HC.cell(tr, "").appendChild(pick);
      HC.cell(tr, j.job_id);
      HC.cell(tr, j.sink);
      HC.cell(tr, typeof j.payload.to === "string" ? j.payload.to : JSON.stringify(j.payload.to), "wrap");
      HC.cell(tr, j.attempts);
      HC.cell(tr, j.last_error, "wrap");
      HC.cell(tr, j.failed_at);
      const actions = HC.cell(tr, "");
      for (const [label, what] of [["Retry", "retry"], ["Delete", "delete"]]) {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = label;
        b.className = what;
        b.onclick = () => {
          b.disabled = true;
          each([j.job_id], what);
        };
        actions.appendChild(b);
      }
      body.appendChild(tr);
    }
    if (!jobs.length && offset > 0) {
      offset = Math.max(0, offset - LIMIT); // the page emptied (retried, deleted): one back
      return refresh();
    }
    HC.text($("dlq-note"), jobs.length ? "" : "The DLQ is empty.");
    HC.text($("dlq-range"), jobs.length ? offset + 1 + "–" + (offset + jobs.length) + (total !== null ? " of " + total : "") : "");
    $("dlq-prev").disabled = offset === 0;
    $("dlq-next").disabled = jobs.length < LIMIT || (total !== null && offset + LIMIT >= total);
    updateButtons();
  }

  $("dlq-select-all").addEventListener("change", (e) => {
    for (const c of document.querySelectorAll("#dlq-table tbody input[type=checkbox]")) c.checked = e.target.checked;
    updateButtons();
  });
  $("dlq-retry-selected").addEventListener("click", () => each(selected(), "retry"));
  $("dlq-delete-selected").addEventListener("click", () => {
    const ids = selected();
    if (ids.length && confirm("Delete " + ids.length + " dead job(s) for good?")) each(ids, "delete");
  });
  $("dlq-retry-all").addEventListener("click", () => each(jobs.map((j) => j.job_id), "retry"));
  $("dlq-prev").addEventListener("click", () => {
    offset = Math.max(0, offset - LIMIT);
    refresh();
  });
  $("dlq-next").addEventListener("click", () => {
    offset += LIMIT;
    refresh();
  });

  HC.dlq = {
    refresh,
    setTotal(n) {
      total = n;
    },
  };
})();
