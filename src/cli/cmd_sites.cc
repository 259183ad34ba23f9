// `leakscope sites cap.db`: which code leaks. Heap call sites of each tracked process
// ranked by how fast their live heap grows in the process's sustained window, or with
// --at-exit what was never freed, per stack, like valgrind's leak summary. Symbolises the
// recorded stacks on first use and caches the symbols in the capture.
#include <cstdio>
#include <iostream>
#include <set>

#include "analyze/heap_sites.h"
#include "analyze/heap_symbols.h"
#include "cli/cli_common.h"
#include "report/heap_sites_render.h"

namespace leakscope::cli {
namespace {

struct SitesFlags {
  std::string capture;
  int64_t pid = 0;
  bool json = false;
  bool at_exit = false;
  size_t top = 10;
  size_t frames = 6;
  std::string group = "stack";
  std::vector<std::string> debug_dirs;
};

// Capture process ids for an OS pid (several when the pid was reused during the run).
StatusOr<std::vector<int64_t>> processes_for_pid(const store::CaptureMeta& meta,
                                                 const store::HeapData& heap, int64_t pid,
                                                 const std::string& capture) {
  std::vector<int64_t> ids;
  std::set<int32_t> tracked;
  for (const auto& hp : heap.processes)
    if (const auto* p = meta.find_process(hp.process_id)) {
      tracked.insert(p->pid);
      if (p->pid == pid) ids.push_back(hp.process_id);
    }
  if (!ids.empty()) return ids;
  std::string known;
  for (int32_t p : tracked) known += (known.empty() ? "" : ", ") + std::to_string(p);
  bool recorded = false;
  for (const auto& p : meta.processes) recorded |= p.pid == pid;
  if (recorded)
    return Status(
        StatusCode::kNotFound, "pid " + std::to_string(pid) + " has no heap data in " + capture,
        "it was recorded but its allocations were not tracked", "pids with heap data: " + known);
  return Status(StatusCode::kNotFound,
                "no process with pid " + std::to_string(pid) + " in " + capture,
                "pids with heap data: " + known, "pick one of those with --pid");
}

int sites_command(const SitesFlags& f) {
  if (f.group != "stack" && f.group != "function")
    return fail(Status(StatusCode::kInvalidArgument, "unknown --group '" + f.group + "'", "",
                       "use stack or function"));
  auto reader = store::CaptureReader::open(f.capture);
  if (!reader.is_ok()) return fail(reader.status());
  auto heap = analyze::read_heap_or_explain(*reader, f.capture);
  if (!heap.is_ok()) return fail(heap.status());
  std::vector<int64_t> ids;
  if (f.pid != 0) {
    auto found = processes_for_pid(reader->meta(), *heap, f.pid, f.capture);
    if (!found.is_ok()) return fail(found.status());
    ids = *found;
  }
  symbolize::DwarfModuleOptions sym_options;
  for (const auto& d : f.debug_dirs) sym_options.debug_dirs.push_back(d);
  auto symbols = analyze::ensure_heap_symbols(f.capture, reader->meta(), &*heap, sym_options);
  if (!symbols.is_ok()) return fail(symbols.status());
  for (const auto& p : symbols->problems)
    std::fprintf(stderr, "leakscope: warning: %s\n", p.c_str());
  if (!symbols->cached) std::fprintf(stderr, "leakscope: note: %s\n", symbols->cache_note.c_str());

  analyze::SiteOptions options;
  options.grouping =
      f.group == "function" ? analyze::SiteGrouping::kFunction : analyze::SiteGrouping::kStack;
  auto ranked = analyze::rank_capture_sites(*reader, *heap, ids, options);
  if (!ranked.is_ok()) return fail(ranked.status());

  report::SitesView view;
  view.capture = f.capture;
  view.meta = &reader->meta();
  view.heap = &*heap;
  view.processes = std::move(*ranked);
  view.grouping = options.grouping;
  view.symbols = *symbols;
  view.top = f.top;
  view.frames = f.frames;
  view.at_exit = f.at_exit;
  if (f.json)
    std::cout << report::sites_to_json(view).dump(2) << "\n";
  else
    std::cout << report::render_sites_text(view);
  std::cout.flush();
  return 0;
}

}  // namespace

void add_sites_command(CLI::App& app, Action* action) {
  auto flags = std::make_shared<SitesFlags>();
  CLI::App* cmd = app.add_subcommand(
      "sites", "Heap call sites ranked by sustained live-heap growth (needs `run --heap`)");
  cmd->add_option("capture", flags->capture, "Capture file")->required();
  cmd->add_option("--pid", flags->pid, "Only this process");
  cmd->add_flag("--json", flags->json, "JSON output");
  cmd->add_flag("--at-exit", flags->at_exit,
                "What was never freed at exit, per stack (like valgrind's leak summary)");
  cmd->add_option("--top", flags->top, "Sites per process (0 = all)")->capture_default_str();
  cmd->add_option("--frames", flags->frames, "Frames shown per site (0 = all)")
      ->capture_default_str();
  cmd->add_option("--group", flags->group, "stack or function (the allocating function)")
      ->capture_default_str();
  cmd->add_option("--debug-dir", flags->debug_dirs,
                  "Extra folder holding .build-id/xx/yyyy.debug files (repeatable)");
  cmd->callback([flags, action] { *action = [flags] { return sites_command(*flags); }; });
}

}  // namespace leakscope::cli
