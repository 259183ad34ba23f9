// leakscope report page: shared helpers (formatting, DOM building, colours, tooltip).
// Plain browser JavaScript, no modules: every file of the page is inlined into one HTML
// file and shares the `LS` namespace.
"use strict";
window.LS = window.LS || {};
(function (LS) {
  const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

  // "12.3 MiB" (binary units, like the CLI).
  LS.bytes = function (v) {
    if (v == null || Number.isNaN(v)) return "–";
    let a = Math.abs(v), i = 0;
    while (a >= 1024 && i < UNITS.length - 1) { a /= 1024; i++; }
    const digits = i === 0 ? 0 : a >= 100 ? 0 : 1;
    return (v < 0 ? "-" : "") + a.toFixed(digits) + " " + UNITS[i];
  };
  LS.rate = function (perS, bytes, unit) {
    if (perS == null || Number.isNaN(perS)) return "–";
    const perMin = perS * 60;
    const sign = perMin >= 0 ? "+" : "";
    return bytes ? sign + LS.bytes(perMin) + "/min" : sign + perMin.toPrecision(3) + " " + (unit || "") + "/min";
  };
  LS.count = function (v) {
    if (v == null || Number.isNaN(v)) return "–";
    return Math.abs(v) >= 100 ? Math.round(v).toString() : (Math.round(v * 10) / 10).toString();
  };
  // Seconds since the start: "42.5 s", "12:03", "1:02:03".
  LS.time = function (s, span) {
    if (s == null || Number.isNaN(s)) return "–";
    if ((span || s) < 120) return (Math.round(s * 10) / 10) + " s";
    const neg = s < 0; s = Math.abs(Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    const pad = (n) => String(n).padStart(2, "0");
    return (neg ? "-" : "") + (h > 0 ? h + ":" + pad(m) : m) + ":" + pad(sec);
  };
  LS.pct = (f) => (f == null || Number.isNaN(f) ? "–" : Math.round(f * 100) + "%");

  // el("div", {class: "x", onclick: f}, child, "text", ...)
  LS.el = function (tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
      else if (k === "text") n.textContent = v;
      else n.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat(Infinity)) {
      if (c == null || c === false) continue;
      n.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
    }
    return n;
  };
  // Text whose `backticked` parts (commands, phase labels) are shown as code, as in the
  // Markdown report; everything stays text (no HTML is interpreted).
  LS.richText = function (text) {
    const span = document.createElement("span");
    String(text).split("`").forEach((part, i) => {
      if (!part) return;
      span.appendChild(i % 2 ? LS.el("code", { text: part }) : document.createTextNode(part));
    });
    return span;
  };
  LS.stateBadge = function (state) {
    const s = state || "not judged";
    return LS.el("span", { class: "badge state-" + s.replace(/ /g, "-"), text: s });
  };

  // Colours: memory classes keep theirs everywhere; other series cycle a palette.
  const CLASS_COLOURS = { total: "#1d2330", anon: "#d1495b", file: "#2e86ab", shmem: "#8f5db7",
    swap: "#e8871e", fds: "#2a9d8f", threads: "#6c757d" };
  const PALETTE = ["#d1495b", "#2e86ab", "#8f5db7", "#e8871e", "#2a9d8f", "#6c757d", "#c0392b",
    "#1f77b4", "#9467bd", "#8c564b", "#e377c2", "#17becf"];
  LS.colour = (name, i) => CLASS_COLOURS[name] || PALETTE[(i || 0) % PALETTE.length];
  // Stable pale fill per phase label.
  LS.phaseColour = function (label, alpha) {
    let h = 0;
    for (const ch of label) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return "hsla(" + (h % 360) + ", 55%, 55%, " + (alpha || 0.12) + ")";
  };

  const tip = () => document.getElementById("tooltip");
  LS.showTip = function (ev, text) {
    const t = tip();
    t.textContent = text;
    t.hidden = false;
    const x = Math.min(ev.clientX + 14, window.innerWidth - t.offsetWidth - 8);
    const y = ev.clientY + 16 + t.offsetHeight > window.innerHeight ? ev.clientY - t.offsetHeight - 8 : ev.clientY + 16;
    t.style.left = x + "px";
    t.style.top = y + "px";
  };
  LS.hideTip = () => { tip().hidden = true; };

  // A list shown `step` items at a time with a "show more" button.
  LS.showMore = function (container, items, render, step, noun) {
    let shown = 0;
    const button = LS.el("button", { class: "more" });
    const more = () => {
      const next = Math.min(items.length, shown + step);
      for (; shown < next; shown++) container.appendChild(render(items[shown], shown));
      const left = items.length - shown;
      button.textContent = "show " + Math.min(left, step) + " more " + noun + " (" + left + " not shown)";
      button.hidden = left <= 0;
    };
    button.addEventListener("click", more);
    more();
    return button;
  };
})(window.LS);
