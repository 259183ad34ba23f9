// leakscope report page: reads the report model embedded in the page (JSON, see
// src/report/report_json.cc) and builds the sections: verdict with its evidence sentences,
// an overview chart, the process tree, per-process charts, heap sites and flame graphs,
// phases, run facts, what the capture cannot show, and how to reproduce it.
"use strict";
(function (LS) {
  const el = LS.el;
  const SEVERITY = { "sustained-growth": 4, settling: 3, "stopped-growing": 2, bounded: 1, "no-growth": 0 };

  function header(d) {
    document.getElementById("capture-name").textContent = d.capture;
    const sub = document.getElementById("subtitle");
    sub.appendChild(document.createTextNode(LS.time(d.duration_s) + " recorded · " + d.processes.length +
      " process" + (d.processes.length === 1 ? "" : "es") + " · " + d.marks.length + " mark" + (d.marks.length === 1 ? "" : "s") +
      " · leakscope " + d.version + " "));
    if (d.redacted) sub.appendChild(el("span", { class: "badge redacted", text: "redacted" }));
    const nav = document.getElementById("nav");
    const links = [["verdict", "Verdict"], ["overview", "Overview"], ["tree", "Processes"], ["processes", "Charts"]];
    if (d.heap.length) links.push(["heap", "Heap sites"]);
    if (d.phase_stats.length) links.push(["phases", "Phases"]);
    links.push(["facts", "Run facts"], ["gaps", "What this cannot show"], ["reproduce", "Reproduce"]);
    for (const [id, text] of links) nav.appendChild(el("a", { href: "#" + id, text }));
  }

  function verdict(d) {
    const s = document.getElementById("verdict");
    s.className = "kind-" + d.kind;
    for (const h of d.headline) s.appendChild(el("div", { class: "headline", text: h }));
    if (d.redacted)
      s.appendChild(el("div", { class: "muted", text: "This report was redacted: " + (d.redaction || "nothing identifying was found") +
        " replaced by placeholders such as <home>, <user>, <host>, <ip-1>; secrets in command lines are always masked." }));
    const evidence = (items) => el("ul", { class: "evidence" }, items.map((e) =>
      el("li", {}, el("span", { class: "ev ev-" + e.label, text: "[" + e.label + "]" }), LS.richText(e.text))));
    // The sentences about what grows come first (the growing processes, where the growth
    // resides, the staircase), then the tree's, then the rest, each group in analyze's order.
    const growing = d.processes.filter((p) => p.state === "sustained-growth").map((p) => "pid " + p.pid + " (");
    const rank = (e) => growing.some((g) => e.text.startsWith(g)) || /resides in|staircase/.test(e.text) ? 0
      : e.text.startsWith("tree ") ? 1 : 2;
    const ordered = d.evidence.map((e, i) => [e, i]).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map((x) => x[0]);
    const first = ordered.slice(0, 8), rest = ordered.slice(8);
    s.appendChild(evidence(first));
    if (rest.length) s.appendChild(el("details", {}, el("summary", { text: rest.length + " more evidence sentences" }), evidence(rest)));
  }

  function memoryOf(p) {
    const c = p.charts.find((x) => x.id === "memory");
    if (!c) return null;
    const i = c.lines.findIndex((l) => l.name === "total");
    return i < 0 ? null : [c.t, c.values[i]];
  }

  function overview(d) {
    const s = document.getElementById("overview");
    const procs = d.processes.filter((p) => memoryOf(p)).sort((a, b) => (b.peak_memory || 0) - (a.peak_memory || 0)).slice(0, 12);
    if (!procs.length) return;
    s.appendChild(el("h2", { text: "Memory per process" }));
    const src = procs[0].memory_source || "";
    s.appendChild(el("div", { class: "chart-note", text: "total memory (" + src + ") of " + (procs.length < d.processes.length ? "the " + procs.length + " largest of " + d.processes.length + " processes" : "every process") +
      "; phases shaded; drag to zoom, double-click to zoom out" }));
    const box = el("div", { class: "chart", id: "overview-chart" });
    s.appendChild(box);
    const joined = uPlot.join(procs.map(memoryOf));
    const lines = procs.map((p, i) => ({ name: "p" + p.pid, label: p.pid + " " + p.comm, values: joined[i + 1],
      colour: LS.colour("", i), width: p.state === "sustained-growth" ? 2.5 : 1.5 }));
    LS.lazy(box, () => LS.timeChart(box, { t: joined[0], lines, bytes: true, height: 260, phases: d.phases }));
  }

  function tree(d) {
    const s = document.getElementById("tree");
    s.appendChild(el("h2", { text: "Process tree" }));
    const body = el("tbody");
    const row = (p) => el("tr", { class: "clickable", title: "show its charts", onclick: () => {
      const target = document.getElementById("proc-" + p.pid);
      if (target) target.scrollIntoView({ behavior: "smooth" });
    } },
    el("td", { class: "tree-name" }, el("span", { class: "tree-indent", text: "\u2003".repeat(p.depth) + (p.depth ? "└ " : "") }),
      el("b", { text: p.comm || "?" })),
    el("td", { class: "num", text: p.pid }),
    el("td", {}, LS.stateBadge(p.state)),
    el("td", { text: p.finding || "" }),
    el("td", { class: "num", text: LS.bytes(p.peak_memory) }),
    el("td", { class: "num", text: LS.bytes(p.final_memory) }),
    el("td", { class: "num", text: LS.count(p.final_fds) + " / " + LS.count(p.peak_fds) }),
    el("td", { class: "num", text: LS.count(p.final_threads) + " / " + LS.count(p.peak_threads) }),
    el("td", { class: "num", text: p.residence_share ? LS.pct(p.residence_share) : "" }),
    el("td", { class: "num", text: LS.time(p.first_seen_s) + " – " + LS.time(p.last_seen_s) }),
    el("td", { text: p.end_state + (p.exit_code >= 0 ? " (" + p.exit_code + ")" : p.exit_signal >= 0 ? " (signal " + p.exit_signal + ")" : "") }));
    const src = d.processes.length ? d.processes[0].memory_source : "";
    s.appendChild(el("div", { class: "table-wrap" }, el("table", {}, el("thead", {}, el("tr", {},
      ["process", "pid", "state", "finding", "peak " + src, "final " + src, "fds now/peak", "threads now/peak", "share of growth", "seen", "end"]
        .map((h, i) => el("th", { class: [1, 4, 5, 6, 7, 8, 9].includes(i) ? "num" : null, text: h })))), body)));
    s.appendChild(LS.showMore(body, d.processes, row, 50, "processes"));
  }

  function processSection(p, d) {
    const box = el("div", { class: "proc", id: "proc-" + p.pid });
    box.appendChild(el("h3", {}, "pid " + p.pid + " ", el("span", { text: p.comm }), " ", LS.stateBadge(p.state)));
    if (p.finding) box.appendChild(el("div", { class: "finding", text: p.finding +
      (p.growth_class && p.growth_class !== "none" ? " · growth class: " + p.growth_class : "") +
      (p.allocator_retention ? " · allocator retention suspected" : "") }));
    if (p.cmdline) box.appendChild(el("div", { class: "mono muted", text: p.cmdline.length > 300 ? p.cmdline.slice(0, 300) + "…" : p.cmdline }));
    const memory = p.charts.find((c) => c.id === "memory");
    const small = p.charts.filter((c) => c.id !== "memory");
    const add = (parent, c) => {
      parent.appendChild(el("div", { class: "chart-title", text: c.title + (c.thinned ? " (" + c.original_points + " points, min/max per pixel shown)" : "") }));
      const box2 = el("div", { class: "chart", "data-chart": c.id });
      parent.appendChild(box2);
      LS.lazy(box2, () => LS.modelChart(box2, c, d.phases));
    };
    if (memory) add(box, memory);
    if (small.length) {
      const rowEl = el("div", { class: "chart-row" });
      for (const c of small) {
        const cell = el("div", {});
        rowEl.appendChild(cell);
        add(cell, c);
      }
      box.appendChild(rowEl);
    }
    if (!p.charts.length) box.appendChild(el("p", { class: "muted", text: "No samples were recorded for this process." }));
    return box;
  }

  function processes(d) {
    const s = document.getElementById("processes");
    s.appendChild(el("h2", { text: "Memory, file descriptors and threads per process" }));
    s.appendChild(el("div", { class: "chart-note", text: "Drag across a chart to zoom in, double-click to zoom out; hover for values. Dashed: the verdict's fitted sustained slope over its window; dotted vertical line: end of warm-up; shaded: phases." }));
    const order = d.processes.map((p, i) => [p, i]).sort((a, b) =>
      (SEVERITY[b[0].state] || 0) - (SEVERITY[a[0].state] || 0) || a[1] - b[1]).map((x) => x[0]);
    const list = el("div", {});
    s.appendChild(list);
    s.appendChild(LS.showMore(list, order, (p) => processSection(p, d), 15, "processes"));
  }

  function phases(d) {
    if (!d.phase_stats.length) return;
    const s = document.getElementById("phases");
    s.appendChild(el("h2", { text: "Phases" }));
    const body = el("tbody");
    for (const ph of d.phase_stats) {
      const growth = ph.growth.filter((g) => g.pid === 0 || Math.abs(g.rate) * 60 >= 64 * 1024 || g.series === "fds" || g.series === "threads")
        .map((g) => (g.pid === 0 ? "tree" : g.pid + " " + g.comm) + " " + g.series + " " + (g.series === "fds" || g.series === "threads" ? LS.count(g.growth) : LS.bytes(g.growth)) + " (" + LS.rate(g.rate, !(g.series === "fds" || g.series === "threads"), g.series) + ")").join("; ");
      body.appendChild(el("tr", {}, el("td", {}, el("span", { class: "badge", style: "background:" + LS.phaseColour(ph.label, 0.25), text: ph.label })),
        el("td", { class: "num", text: ph.intervals }), el("td", { class: "num", text: LS.time(ph.duration_s) }),
        el("td", { class: "num", text: ph.cpu_pct.toFixed(1) + "%" }), el("td", { text: growth })));
    }
    s.appendChild(el("table", {}, el("thead", {}, el("tr", {}, ["label", "intervals", "time", "CPU", "growth during the phase"]
      .map((h, i) => el("th", { class: i >= 1 && i <= 3 ? "num" : null, text: h })))), body));
  }

  function factList(items) {
    return el("dl", { class: "facts" }, items.map((f) => [el("dt", { text: f.name }), el("dd", { class: f.name === "command" || f.name === "options" ? "mono" : null, text: f.value })]));
  }

  function facts(d) {
    const s = document.getElementById("facts");
    s.appendChild(el("h2", { text: "Run facts" }));
    s.appendChild(factList(d.facts));
    s.appendChild(el("h3", { text: "Data sources" }));
    const judged = d.sources.filter((f) => !f.name.includes("."));
    const columns = d.sources.filter((f) => f.name.includes("."));
    s.appendChild(factList(judged));
    if (columns.length)
      s.appendChild(el("details", {}, el("summary", { text: "what each column of the capture holds (" + columns.length + ")" }), factList(columns)));
    s.appendChild(el("h3", { text: "Read costs" }));
    s.appendChild(factList(d.costs));
    if (d.symbol_note) s.appendChild(el("p", { class: "warn", text: d.symbol_note }));
  }

  function gaps(d) {
    const s = document.getElementById("gaps");
    s.appendChild(el("h2", { text: "What this capture cannot show" }));
    s.appendChild(el("ul", { class: "gaps" }, d.cannot_show.map((g) => el("li", {}, LS.richText(g)))));
  }

  function reproduce(d) {
    const s = document.getElementById("reproduce");
    s.appendChild(el("h2", { text: "Reproduce" }));
    s.appendChild(el("pre", { text: d.reproduce.join("\n") }));
    document.getElementById("footer").textContent = "Generated by leakscope " + d.version + " from " + d.capture +
      (d.redacted ? " (redacted)" : "") + ". This file is self-contained: it loads nothing from the network.";
  }

  function main() {
    const d = JSON.parse(document.getElementById("leakscope-data").textContent);
    // Sites name their frames by index into one shared table (see report_json.cc).
    const table = d.heap_frames || [];
    for (const h of d.heap || [])
      for (const s of h.sites)
        s.frames = s.frames.map((i) => ({ function: table[i][0], where: table[i][1], module: table[i][2], inlined: table[i][3] }));
    LS.data = d;
    header(d);
    verdict(d);
    overview(d);
    tree(d);
    processes(d);
    LS.heapSection(document.getElementById("heap"), d);
    phases(d);
    facts(d);
    gaps(d);
    reproduce(d);
    document.body.setAttribute("data-ready", "1");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
  else main();
})(window.LS);
