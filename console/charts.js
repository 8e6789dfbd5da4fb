// Time charts over a fixed window (the last five minutes, ending now), so the
// axis is right from the first point: uPlot with its x range pinned instead of
// fitted to the data. Points older than the window are dropped.
(function () {
  "use strict";
  const HC = window.HC;
  HC.WINDOW_S = 300;
  const COLORS = ["#2e6fd8", "#2e8b57", "#d8822e", "#8e44ad", "#c0392b"];
  const two = (n) => String(n).padStart(2, "0");
  const clock = (t) => {
    const d = new Date(t * 1000);
    return two(d.getHours()) + ":" + two(d.getMinutes()) + (d.getSeconds() ? ":" + two(d.getSeconds()) : "");
  };

  // labels: one per series. Returns { add(tSeconds, values), clear() }.
  HC.timeChart = (el, labels, options = {}) => {
    const data = [[], ...labels.map(() => [])];
    let end = Date.now() / 1000;
    const size = () => ({ width: Math.max(200, el.clientWidth || 300), height: options.height || 130 });
    const chart =
      typeof uPlot === "undefined"
        ? null
        : new uPlot(
            {
              ...size(),
              series: [{}, ...labels.map((label, i) => ({ label, stroke: COLORS[i % COLORS.length], width: 1.5, spanGaps: true }))],
              scales: {
                x: { time: true, range: () => [end - HC.WINDOW_S, end] },
                y: { range: (u, min, max) => [0, Math.max(options.minMax || 1, (max || 0) * 1.15)] },
              },
              // Clock times only: the window is five minutes, the date adds nothing.
              axes: [{ space: 30, values: (u, splits) => splits.map(clock) }, { size: 44 }],
              legend: { live: false },
              cursor: { show: false },
            },
            data,
            el,
          );
    if (chart && typeof ResizeObserver !== "undefined")
      new ResizeObserver(() => chart.setSize(size())).observe(el);
    const trim = () => {
      let drop = 0;
      while (drop < data[0].length && data[0][drop] < end - HC.WINDOW_S) ++drop;
      if (drop) for (const s of data) s.splice(0, drop);
      // What the x axis spans, for tests and for anyone inspecting the page.
      el.dataset.from = String(end - HC.WINDOW_S);
      el.dataset.to = String(end);
      el.dataset.points = String(data[0].length);
    };
    return {
      // values: one per label (null for a gap); points must come in time order.
      add(t, values, redraw = true) {
        if (data[0].length && t <= data[0][data[0].length - 1]) return;
        data[0].push(t);
        values.forEach((v, i) => data[i + 1].push(v === undefined ? null : v));
        end = t; // the server's clock: the newest point is always at the right edge
        trim();
        if (redraw && chart) chart.setData(data);
      },
      redraw() {
        if (chart) chart.setData(data);
      },
      points: () => data[0].length,
    };
  };
})();
