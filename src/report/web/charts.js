// leakscope report page: time-series charts on uPlot (zoom by dragging, values on hover),
// with the phases shaded and labelled, the end of warm-up marked and the verdict's fitted
// sustained slope drawn over the series. Charts are drawn when they come near the
// viewport, so a report with a hundred processes opens at once.
"use strict";
(function (LS) {
  const pending = new Map();
  const observer = "IntersectionObserver" in window
    ? new IntersectionObserver((entries) => {
      for (const e of entries) {
        if (!e.isIntersecting) continue;
        const draw = pending.get(e.target);
        pending.delete(e.target);
        observer.unobserve(e.target);
        if (draw) draw();
      }
    }, { rootMargin: "400px 0px" })
    : null;
  LS.lazy = function (node, draw) {
    if (!observer) return draw();
    pending.set(node, draw);
    observer.observe(node);
  };

  const live = [];
  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const c of live) {
        const w = c.box.clientWidth;
        if (w > 0 && Math.abs(w - c.u.width) > 2) c.u.setSize({ width: w, height: c.height });
      }
    }, 150);
  });

  function clipToPlot(u, ctx) {
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, u.bbox.top, u.bbox.width, u.bbox.height);
    ctx.clip();
  }

  function drawPhases(u, phases) {
    if (!phases || !phases.length) return;
    const ctx = u.ctx, px = uPlot.pxRatio;
    clipToPlot(u, ctx);
    ctx.font = Math.round(11 * px) + "px sans-serif";
    ctx.textBaseline = "top";
    for (const p of phases) {
      const x0 = u.valToPos(p.t0, "x", true), x1 = u.valToPos(p.t1, "x", true);
      if (x1 < u.bbox.left || x0 > u.bbox.left + u.bbox.width) continue;
      ctx.fillStyle = LS.phaseColour(p.label, 0.13);
      ctx.fillRect(x0, u.bbox.top, x1 - x0, u.bbox.height);
      ctx.fillStyle = LS.phaseColour(p.label, 1);
      if (x1 - x0 > 34 * px) ctx.fillText(p.label, Math.max(x0, u.bbox.left) + 3 * px, u.bbox.top + 2 * px);
    }
    ctx.restore();
  }

  function drawMarkers(u, spec) {
    const ctx = u.ctx, px = uPlot.pxRatio;
    clipToPlot(u, ctx);
    ctx.font = Math.round(11 * px) + "px sans-serif";
    if (spec.warmup != null) {
      const x = u.valToPos(spec.warmup, "x", true);
      ctx.strokeStyle = "#5b6472";
      ctx.lineWidth = 1.5 * px;
      ctx.setLineDash([4 * px, 3 * px]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillStyle = "#5b6472";
      ctx.textBaseline = "bottom";
      ctx.fillText("warm-up ends", x + 4 * px, u.bbox.top + u.bbox.height - 3 * px);
    }
    spec.lines.forEach((l, i) => {
      if (!l.fit || !u.series[i + 1].show) return;
      const [t0, v0, t1, v1] = l.fit;
      const x0 = u.valToPos(t0, "x", true), y0 = u.valToPos(v0, "y", true);
      const x1 = u.valToPos(t1, "x", true), y1 = u.valToPos(v1, "y", true);
      ctx.strokeStyle = l.fitColour || "#000";
      ctx.lineWidth = (l.growth ? 2.5 : 1.5) * px;
      ctx.setLineDash([7 * px, 4 * px]);
      ctx.beginPath();
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
      ctx.stroke();
      if (l.fitLabel) {
        ctx.fillStyle = l.fitColour || "#000";
        ctx.textBaseline = "bottom";
        const tx = Math.min(x1, u.bbox.left + u.bbox.width - 4 * px);
        ctx.textAlign = "right";
        ctx.fillText(l.fitLabel, tx, Math.max(u.bbox.top + 14 * px, Math.min(y0, y1) - 4 * px));
        ctx.textAlign = "left";
      }
    });
    ctx.restore();
  }

  // spec: {t, lines: [{name, label, values, colour, width, fit, fitLabel, growth, stepped}],
  //        bytes, unit, height, phases, warmup, span}
  LS.timeChart = function (box, spec) {
    const width = box.clientWidth || 800;
    const fmtY = spec.bytes ? LS.bytes : LS.count;
    const span = spec.t.length ? spec.t[spec.t.length - 1] - spec.t[0] : 0;
    const opts = {
      width, height: spec.height || 240,
      scales: { x: { time: false } },
      cursor: { drag: { x: true, y: false, setScale: true } },
      legend: { live: true },
      axes: [
        { values: (u, splits) => splits.map((s) => LS.time(s, span)), size: 36 },
        { values: (u, splits) => splits.map(fmtY), size: spec.bytes ? 74 : 50 },
      ],
      series: [{ label: "time", value: (u, v) => LS.time(v, span) }].concat(spec.lines.map((l) => ({
        label: l.label || l.name,
        stroke: l.colour,
        width: l.width || 1.5,
        spanGaps: true,
        paths: l.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
        value: (u, v) => (v == null ? "–" : fmtY(v)),
      }))),
      hooks: {
        drawClear: [(u) => drawPhases(u, spec.phases)],
        draw: [(u) => drawMarkers(u, spec)],
      },
    };
    const data = [spec.t].concat(spec.lines.map((l) => l.values));
    const u = new uPlot(opts, data, box);
    live.push({ u, box, height: opts.height });
    return u;
  };

  // A chart of the report model (memory, fds or threads of one process).
  LS.modelChart = function (box, chart, phases) {
    const lines = chart.lines.map((l, i) => {
      const growth = l.state === "sustained-growth";
      const showFit = l.fit && l.state && l.state !== "no-growth" && l.state !== "settling";
      return {
        name: l.name,
        label: l.name + (l.source ? " (" + l.source + ")" : "") + (l.state ? " · " + l.state : ""),
        values: chart.values[i],
        colour: LS.colour(l.name, i),
        width: l.name === "total" ? 2 : 1.5,
        fit: showFit ? l.fit : null,
        growth,
        fitColour: growth ? "#b42318" : "#3949ab",
        fitLabel: showFit ? "fit " + LS.rate(l.rate, chart.bytes, l.name) : "",
      };
    });
    // Warm-up: where the most serious series' final regime starts.
    let warmup = null, best = -1;
    const rank = { "sustained-growth": 4, settling: 3, "stopped-growing": 2, bounded: 1 };
    for (const l of chart.lines) {
      const r = rank[l.state] || 0;
      if (l.warmup_end != null && r > best) { best = r; warmup = l.warmup_end; }
    }
    return LS.timeChart(box, { t: chart.t, lines, bytes: chart.bytes, unit: chart.id,
      height: chart.id === "memory" ? 250 : 150, phases, warmup });
  };
})(window.LS);
