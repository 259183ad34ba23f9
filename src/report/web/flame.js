// leakscope report page: a flame graph (icicle: the outermost frame on top, callees below)
// laid out with d3-hierarchy's partition and drawn as SVG. Width is bytes; a click zooms
// into a frame, a click on the top bar zooms back out; hovering shows the frame's
// function, file:line and bytes.
"use strict";
(function (LS) {
  const SVG = "http://www.w3.org/2000/svg";
  const ROW = 18;

  function hash(s) {
    let h = 0;
    for (const ch of s) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
    return h;
  }
  function fill(name, palette) {
    const h = hash(name || "?");
    if (palette === "cool") return "hsl(" + (190 + (h % 50)) + ", 55%, " + (62 + (h % 14)) + "%)";
    return "hsl(" + (h % 45) + ", 78%, " + (58 + (h % 14)) + "%)";
  }
  function svgEl(tag, attrs) {
    const n = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    return n;
  }

  // root: {n: name, w: where, v: bytes (inclusive), c: [children]}
  LS.flameGraph = function (box, root, options) {
    const palette = (options && options.palette) || "warm";
    const h = d3.hierarchy(root, (d) => d.c);
    // Inclusive values come from the model; d3 wants each node's own share.
    h.sum((d) => Math.max(0, d.v - (d.c || []).reduce((a, c) => a + c.v, 0)));
    h.sort((a, b) => b.value - a.value);
    d3.partition().size([1, h.height + 1])(h);
    const total = h.value || 1;
    const svg = svgEl("svg", { height: (h.height + 1) * ROW, role: "img",
      "aria-label": (options && options.label) || "flame graph" });
    box.textContent = "";
    box.appendChild(svg);
    let focus = h;

    function draw() {
      const width = box.clientWidth || 900;
      svg.setAttribute("width", width);
      svg.textContent = "";
      const span = focus.x1 - focus.x0;
      const ancestors = new Set(focus.ancestors());
      for (const node of h.descendants()) {
        const inFocus = ancestors.has(node) || (node.x0 >= focus.x0 && node.x1 <= focus.x1);
        if (!inFocus) continue;
        const x0 = ancestors.has(node) ? 0 : ((node.x0 - focus.x0) / span) * width;
        const w = ancestors.has(node) ? width : ((node.x1 - node.x0) / span) * width;
        if (w < 0.6) continue;
        const g = svgEl("g", {});
        const rect = svgEl("rect", { x: x0, y: node.depth * ROW, width: Math.max(0, w),
          height: ROW - 1, fill: node.depth === 0 ? "#d9dde3" : fill(node.data.n, palette) });
        g.appendChild(rect);
        const chars = Math.floor((w - 6) / 6.7);
        if (chars >= 3) {
          let label = node.data.n || "?";
          if (label.length > chars) label = label.slice(0, chars - 1) + "…";
          const text = svgEl("text", { x: x0 + 3, y: node.depth * ROW + 13 });
          text.textContent = label;
          g.appendChild(text);
        }
        const desc = (node.data.n || "?") + (node.data.w ? "  " + node.data.w : "") + "\n" +
          LS.bytes(node.data.v) + " (" + ((100 * node.data.v) / (root.v || 1)).toFixed(1) + "% of all)";
        g.addEventListener("mousemove", (ev) => LS.showTip(ev, desc));
        g.addEventListener("mouseleave", LS.hideTip);
        g.addEventListener("click", () => {
          focus = node === focus && node.parent ? node.parent : node;
          draw();
        });
        svg.appendChild(g);
      }
    }
    draw();
    let timer = 0;
    window.addEventListener("resize", () => { clearTimeout(timer); timer = setTimeout(draw, 150); });
    return { total, reset: () => { focus = h; draw(); } };
  };
})(window.LS);
