// Shared by the console's pages: the HTTP API with the operator's key (kept
// in sessionStorage), and small DOM helpers. Everything hangs off window.HC.
(function () {
  "use strict";
  const KEY = "herald.apiKey";
  const HC = (window.HC = window.HC || {});
  HC.apiKey = sessionStorage.getItem(KEY) || "";
  HC.saveKey = (key) => {
    HC.apiKey = key;
    sessionStorage.setItem(KEY, key);
  };

  // { status, body }: body is the parsed JSON answer, or null.
  HC.api = async (method, path) => {
    const r = await fetch(path, { method, headers: HC.apiKey ? { Authorization: "Bearer " + HC.apiKey } : {} });
    let body = null;
    try {
      body = await r.json();
    } catch (e) {
      body = null;
    }
    return { status: r.status, body };
  };

  HC.$ = (id) => document.getElementById(id);
  HC.text = (el, value) => {
    el.textContent = value === null || value === undefined ? "–" : String(value);
  };
  HC.cell = (tr, value, className) => {
    const td = document.createElement("td");
    HC.text(td, value);
    if (className) td.className = className;
    tr.appendChild(td);
    return td;
  };
  // A number for a figure: integers as they are, others with `digits` decimals.
  HC.num = (v, digits = 1) => {
    if (v === null || v === undefined || Number.isNaN(v)) return null;
    return Number.isInteger(v) ? v : v.toFixed(digits);
  };
  HC.ago = (iso) => {
    if (!iso) return null;
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return s + " s ago";
    if (s < 3600) return Math.round(s / 60) + " min ago";
    return Math.round(s / 3600) + " h ago";
  };
})();
