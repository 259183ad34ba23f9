// leakscope report page: the heap section of each tracked process: its ranked leak sites
// (a click shows a site's live bytes over time and its whole stack), and two flame graphs,
// live-heap growth in the sustained window and bytes never freed.
"use strict";
(function (LS) {
  const el = LS.el;

  function topFrame(site) {
    const f = site.frames.find((x) => !/^(operator new|malloc|calloc|realloc)/.test(x.function)) || site.frames[0];
    return f || { function: site.key, where: "" };
  }

  function siteDetail(site, phases) {
    const box = el("div", { class: "site-detail" });
    box.appendChild(el("div", {}, el("b", { text: "site " + site.rank + ": " }), topFrame(site).function,
      " · live " + LS.bytes(site.live) + " at the end · " +
      LS.rate(site.rate, true) + " (95% CI " + LS.rate(site.ci_lo, true) + " to " + LS.rate(site.ci_hi, true) + ")"));
    if (site.series_t && site.series_t.length) {
      box.appendChild(el("div", { class: "chart-title", text: "live bytes of this site" }));
      const chart = el("div", { class: "chart site-chart" });
      box.appendChild(chart);
      requestAnimationFrame(() => LS.timeChart(chart, { t: site.series_t, bytes: true, height: 170, phases,
        lines: [{ name: "live", label: "live bytes", values: site.series_live, colour: "#d1495b", width: 2, stepped: true }] }));
    } else {
      box.appendChild(el("p", { class: "muted", text: "Its series is not embedded (only the top sites' are, to keep the report small): `leakscope sites` lists it." }));
    }
    const frames = el("ol", { class: "frames" });
    for (const f of site.frames)
      frames.appendChild(el("li", {}, (f.inlined ? "(inlined) " : "") + f.function,
        f.where ? el("span", { class: "muted", text: "  " + f.where }) : (f.module ? el("span", { class: "muted", text: "  [" + f.module + "]" }) : null)));
    box.appendChild(el("div", { class: "chart-title", text: "stack, allocating frame first" }));
    box.appendChild(frames);
    return box;
  }

  function sitesTable(proc, phases) {
    const wrap = el("div", {});
    const detail = el("div", {});
    const body = el("tbody");
    let selected = null;
    const row = (s) => {
      const f = topFrame(s);
      const tr = el("tr", { class: "clickable", "data-site": s.rank, title: "click: live bytes over time and the whole stack" },
        el("td", { class: "num", text: s.rank }),
        el("td", {}, s.growing ? el("span", { class: "badge state-sustained-growth", text: "growing" }) : el("span", { class: "muted", text: "no trend" })),
        el("td", { class: "num" }, LS.rate(s.rate, true), el("div", { class: "ci", text: LS.rate(s.ci_lo, true) + " … " + LS.rate(s.ci_hi, true) })),
        el("td", { class: "num", text: LS.bytes(s.window_growth) }),
        el("td", { class: "num", text: LS.bytes(s.live) }),
        el("td", { class: "num", text: LS.bytes(s.unfreed) }),
        el("td", { class: "num", text: LS.bytes(s.alloc) }),
        el("td", { class: "num", text: LS.pct(s.short_lived) }),
        el("td", { class: "mono clip", title: f.function, text: f.function }),
        el("td", { class: "mono muted clip", title: f.where || f.module || "", text: f.where || f.module || "" }));
      tr.addEventListener("click", () => {
        if (selected) selected.classList.remove("selected");
        selected = tr;
        tr.classList.add("selected");
        detail.textContent = "";
        detail.appendChild(siteDetail(s, phases));
      });
      return tr;
    };
    const table = el("table", {}, el("thead", {}, el("tr", {},
      ["#", "trend", "rate (95% CI)", "growth in window", "live at end", "unfreed", "allocated", "short-lived", "allocating function", "where"]
        .map((h, i) => el("th", { class: i >= 2 && i <= 7 ? "num" : null, text: h })))), body);
    wrap.appendChild(el("div", { class: "table-wrap" }, table));
    wrap.appendChild(LS.showMore(body, proc.sites, row, 20, "sites"));
    if (proc.total_sites > proc.sites.length)
      wrap.appendChild(el("p", { class: "muted", text: (proc.total_sites - proc.sites.length) + " smaller sites are not listed; `leakscope sites --top 0` lists all." }));
    wrap.appendChild(detail);
    return wrap;
  }

  LS.heapSection = function (section, data) {
    if (!data.heap.length) return;
    section.appendChild(el("h2", { id: "heap-sites", text: "Heap: leak sites and flame graphs" }));
    for (const h of data.heap) {
      const box = el("div", { class: "proc", id: "heap-" + h.pid });
      box.appendChild(el("h3", { text: "pid " + h.pid + " (" + h.comm + ")" }));
      let tracking = "heap tracking: " + h.mode + (h.estimated ? ", one sample per " + LS.bytes(h.sample_interval) + " on average: counts are estimates" : "");
      if (h.unwinder) tracking += "; unwinder " + h.unwinder;
      if (h.status !== "tracking") tracking += "; " + h.status;
      if (h.lost_events > 0) tracking += "; " + h.lost_events + " events lost";
      box.appendChild(el("div", { class: "muted", text: tracking }));
      box.appendChild(el("div", { class: "muted", text: "sustained window " + LS.time(h.window[0]) + " to " + LS.time(h.window[1]) + ": " + h.window_source }));
      if (h.sites.length) box.appendChild(sitesTable(h, data.phases));
      else box.appendChild(el("p", { class: "muted", text: "No allocation sites recorded." }));
      const flames = [
        [h.growth_flame, "Live-heap growth in the sustained window, by stack", "warm"],
        [h.unfreed_flame, h.unfreed_at_exit ? "Bytes never freed at exit, by stack" : "Bytes still allocated when the recording ended, by stack", "cool"],
      ];
      for (const [root, title, palette] of flames) {
        box.appendChild(el("h3", { text: title + " (" + LS.bytes(root.v) + ")" }));
        if (!root.v) {
          box.appendChild(el("p", { class: "muted", text: "Nothing to show: no stack " + (palette === "warm" ? "grew in the window." : "left bytes allocated.") }));
          continue;
        }
        const fg = el("div", { class: "flame", "data-flame": palette });
        box.appendChild(fg);
        box.appendChild(el("div", { class: "chart-note", text: "outermost frame on top; width is bytes; click a frame to zoom in, click it again to zoom out" }));
        LS.lazy(fg, () => LS.flameGraph(fg, root, { palette, label: title }));
      }
      section.appendChild(box);
    }
  };
})(window.LS);
