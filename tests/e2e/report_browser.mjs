// The browser half of report_browser_test.cc: opens a leakscope HTML report in Debian's
// headless Chromium (driven by playwright-core) from a file:// URL with the network off,
// and prints one JSON object with what it found: console errors, any request that tried
// to leave the file, per-process chart pixels, the verdict text, flame graphs, and two
// screenshots (1366x768 and 1920x1080 full page) decoded with the small PNG reader below.
//   node report_browser.mjs NODE_MODULES REPORT.html OUT_DIR [CHROMIUM]
import { createRequire } from "node:module";
import { mkdtempSync, readFileSync, rmSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { inflateSync } from "node:zlib";
import { pathToFileURL } from "node:url";

const [modules, report, outDir, chromium = "/usr/bin/chromium"] = process.argv.slice(2);
const require = createRequire(join(resolve(modules), "noop.js"));
const { chromium: browserType } = require("playwright-core");

// A PNG reader for 8-bit RGB/RGBA, non-interlaced images (what Chromium writes): inflate
// the IDAT stream and undo the per-row filters.
function decodePng(buf) {
  if (buf.readUInt32BE(0) !== 0x89504e47) throw new Error("not a PNG");
  let pos = 8, width = 0, height = 0, type = 0, depth = 0, interlace = 0;
  const idat = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos), kind = buf.toString("ascii", pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (kind === "IHDR") {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      depth = data[8]; type = data[9]; interlace = data[12];
    } else if (kind === "IDAT") idat.push(data);
    else if (kind === "IEND") break;
    pos += 12 + len;
  }
  if (depth !== 8 || (type !== 2 && type !== 6) || interlace !== 0)
    throw new Error(`unsupported PNG: depth ${depth} type ${type} interlace ${interlace}`);
  const bpp = type === 6 ? 4 : 3, stride = width * bpp;
  const raw = inflateSync(Buffer.concat(idat));
  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], src = y * (stride + 1) + 1, dst = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[dst + x - bpp] : 0, b = y > 0 ? px[dst + x - stride] : 0;
      const c = x >= bpp && y > 0 ? px[dst + x - stride - bpp] : 0;
      let v = raw[src + x];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      px[dst + x] = v & 0xff;
    }
  }
  return { width, height, bpp, px };
}

// Distinct colours and the share of pixels that are not (near) white.
function inspectPng(file) {
  const img = decodePng(readFileSync(file));
  const colours = new Set();
  let ink = 0;
  for (let i = 0; i < img.px.length; i += img.bpp) {
    const r = img.px[i], g = img.px[i + 1], b = img.px[i + 2];
    colours.add((r << 16) | (g << 8) | b);
    if (r < 235 || g < 235 || b < 235) ink++;
  }
  return { file, width: img.width, height: img.height, colours: colours.size,
    ink: ink / (img.width * img.height) };
}

const result = { console_errors: [], page_errors: [], requests_blocked: [], processes: [] };
const profile = mkdtempSync(join(tmpdir(), "leakscope-chromium-"));
mkdirSync(outDir, { recursive: true });
let context;
try {
  context = await browserType.launchPersistentContext(profile, {
    executablePath: chromium,
    headless: true,
    offline: true,
    viewport: { width: 1366, height: 768 },
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = context.pages()[0] || (await context.newPage());
  page.on("console", (m) => { if (m.type() === "error") result.console_errors.push(m.text()); });
  page.on("pageerror", (e) => result.page_errors.push(String(e)));
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
    result.requests_blocked.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(resolve(report)).href, { waitUntil: "load" });
  await page.waitForSelector("body[data-ready='1']", { timeout: 15000 });
  result.verdict = await page.textContent("#verdict");
  result.kind = await page.getAttribute("#verdict", "class");

  // Top of the page on a laptop screen, before scrolling draws anything lazily.
  await page.waitForSelector("#overview-chart canvas", { timeout: 10000 });
  await page.screenshot({ path: join(outDir, "report_1366x768.png") });

  const pids = await page.$$eval(".proc[id^='proc-']", (els) => els.map((e) => e.id));
  for (const id of pids) {
    await page.locator("#" + id).scrollIntoViewIfNeeded();
    await page.waitForSelector(`#${id} .chart[data-chart='memory'] canvas`, { timeout: 10000 });
    // Every chart of the section is drawn lazily when it comes into view: wait for all of
    // them, not just the memory one (a loaded machine once counted 1 of 3 canvases).
    await page.waitForFunction((sid) => {
      const s = document.getElementById(sid);
      return s.querySelectorAll(".chart").length === s.querySelectorAll(".chart canvas").length;
    }, id, { timeout: 10000 });
    // Counts painted pixels in each chart canvas of the section (uPlot draws on a
    // transparent canvas: anything opaque is axes, grid, bands or lines).
    const charts = await page.$$eval(`#${id} .chart canvas`, (canvases) => canvases.map((c) => {
      const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
      let painted = 0;
      for (let i = 3; i < d.length; i += 4) if (d[i] > 0) painted++;
      return { width: c.width, height: c.height, painted };
    }));
    const title = await page.textContent(`#${id} h3`);
    result.processes.push({ id, title, charts });
  }
  result.overview_svg_or_canvas = await page.$$eval("#overview-chart canvas", (c) => c.length);
  result.flames = await page.$$eval(".flame svg rect", (r) => r.length);
  result.tree_rows = await page.$$eval("#tree tbody tr", (r) => r.length);

  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(outDir, "report_1920x1080_full.png"), fullPage: true });
  result.screenshots = [inspectPng(join(outDir, "report_1366x768.png")),
    inspectPng(join(outDir, "report_1920x1080_full.png"))];
} catch (e) {
  result.failure = String(e && e.stack || e);
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(JSON.stringify(result) + "\n");
