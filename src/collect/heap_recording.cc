// Heap tracking glue between the recorder and the ingest; see heap_recording.h.
#include "collect/heap_recording.h"

#include <limits.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "base/file_util.h"
#include "base/strings.h"
#include "collect/heap_elf.h"
#include "collect/process_tree.h"
#include "format/heap_wire.h"
#include "store/capture_writer.h"

namespace leakscope::collect {

Status parse_heap_mode(const std::string& text, HeapOptions* out) {
  out->enabled = true;
  if (text.empty() || text == "full") {
    out->sample_interval = 0;
    return Status::ok();
  }
  if (text.rfind("sample:", 0) == 0) {
    uint64_t bytes = 0;
    if (parse_bytes(text.substr(7), &bytes) && bytes > 0) {
      out->sample_interval = bytes;
      return Status::ok();
    }
  }
  return Status(StatusCode::kInvalidArgument, "bad --heap mode '" + text + "'",
                "expected full or sample:SIZE", "use --heap, --heap=full or --heap=sample:512k");
}

StatusOr<std::string> find_preload_library() {
  auto self = read_link("/proc/self/exe");
  if (!self.is_ok()) return self.status();
  std::string dir = self->substr(0, self->rfind('/'));
  const char* kName = "libleakscope_preload.so";
  std::vector<std::string> candidates = {dir + "/../lib/" + kName, dir + "/" + kName,
                                         dir + "/../lib/leakscope/" + kName};
  for (const auto& c : candidates) {
    char resolved[PATH_MAX];
    if (::access(c.c_str(), R_OK) == 0 && ::realpath(c.c_str(), resolved)) return std::string(resolved);
  }
  return Status(StatusCode::kNotFound, std::string("cannot find ") + kName,
                "looked in " + dir + "/../lib and " + dir,
                "build the leakscope_preload target, or reinstall leakscope");
}

StatusOr<std::unique_ptr<HeapRecording>> HeapRecording::start(const HeapOptions& options,
                                                               int64_t t0_mono_ns) {
  std::unique_ptr<HeapRecording> r(new HeapRecording());
  r->options_ = options;
  if (!options.preload_path.empty()) {
    r->preload_path_ = options.preload_path;
  } else {
    ASSIGN_OR_RETURN(r->preload_path_, find_preload_library());
  }
  HeapIngestOptions io;
  io.tick_ms = options.tick_ms;
  io.t0_mono_ns = t0_mono_ns;
  ASSIGN_OR_RETURN(r->ingest_, HeapIngest::start(io));
  return r;
}

HeapRecording::~HeapRecording() = default;

std::vector<std::string> HeapRecording::child_env() const {
  std::string preload = preload_path_;
  const char* existing = ::getenv("LD_PRELOAD");
  if (existing && *existing) preload += std::string(":") + existing;
  std::string mode = options_.sample_interval
                         ? "sample:" + std::to_string(options_.sample_interval)
                         : std::string("full");
  return {"LD_PRELOAD=" + preload,
          std::string(format::kEnvSocket) + "=" + ingest_->socket_path(),
          std::string(format::kEnvMode) + "=" + mode};
}

namespace {

// The file execvp would run for `command`.
std::string resolve_command(const std::string& command) {
  if (command.find('/') != std::string::npos) return command;
  const char* path = ::getenv("PATH");
  for (auto dir : split(path ? path : "/usr/bin:/bin", ':')) {
    std::string candidate = std::string(dir.empty() ? "." : dir) + "/" + command;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return command;
}

}  // namespace

void HeapRecording::set_root(pid_t pid, const std::string& command) {
  root_pid_ = pid;
  auto facts = read_elf_facts(resolve_command(command));
  root_static_ = facts.is_ok() && !facts->has_interpreter;
}

void HeapRecording::check_new_processes(ProcessTree& tree) {
  if (root_static_ && !root_noted_) {
    root_noted_ = true;
    const TrackedProcess* root = tree.root();
    uint64_t start = root && root->info.pid == root_pid_ ? root->info.start_ticks : 0;
    ingest_->note_untracked({root_pid_, start}, ::getpid(), root ? root->exe : "",
                            "not-interposed: static binary");
    if (root) checked_.insert(root->info.id);
  }
  for (const auto& [id, p] : tree.processes()) {
    if (!p.alive || !checked_.insert(id).second) continue;
    // LD_PRELOAD needs the dynamic loader; an executable without PT_INTERP never loads it.
    auto facts = read_elf_facts("/proc/" + std::to_string(p.info.pid) + "/exe");
    if (facts.is_ok() && !facts->has_interpreter)
      ingest_->note_untracked({p.info.pid, p.info.start_ticks}, p.info.ppid, p.exe,
                              "not-interposed: static binary");
  }
}

void HeapRecording::write_report(HeapReport report, ProcessTree& tree,
                                 store::CaptureWriter& w, int64_t now_ms) {
  for (auto& pr : report.processes) {
    int64_t id = tree.resolve(pr.key.pid, pr.key.start_ticks, pr.ppid, pr.exe, now_ms);
    store::HeapProcess hp = pr.process;
    hp.process_id = id;
    w.add_heap_process(hp);
    for (auto& s : pr.stacks) {  // moved: a compiler's first seconds hold ~1 M frames
      s.process_id = id;
      w.add_heap_stack(std::move(s));
    }
    for (auto s : pr.sites) {
      s.process_id = id;
      w.add_heap_site_sample(s);
    }
    if (pr.total) {
      store::HeapTotal t = *pr.total;
      t.process_id = id;
      w.add_heap_total(t);
    }
    for (auto u : pr.unfreed) {
      u.process_id = id;
      w.add_heap_unfreed(u);
    }
    for (auto m : pr.modules) {
      m.process_id = id;
      w.add_module(m);
    }
    for (const auto& n : pr.notices) {
      if (!said_.insert(n).second) continue;
      if (!options_.quiet) std::fprintf(stderr, "leakscope: heap tracking: %s\n", n.c_str());
      w.add_note({now_ms, id, "heap", n});
    }
  }
}

void HeapRecording::on_tick(ProcessTree& tree, store::CaptureWriter& writer, int64_t now_ms) {
  check_new_processes(tree);
  for (auto& report : ingest_->take_reports()) write_report(std::move(report), tree, writer, now_ms);
}

void HeapRecording::finish(ProcessTree& tree, store::CaptureWriter& writer, int64_t now_ms) {
  check_new_processes(tree);
  for (auto& report : ingest_->take_reports()) write_report(std::move(report), tree, writer, now_ms);
  // Exiting processes send their last events and close: worth waiting for. Processes still
  // running (an interrupted recording, --duration, a daemon left behind) keep their
  // connections open, and what they had buffered arrives within a flusher pass (100 ms):
  // waiting longer only delays the end (2 s after the third Ctrl-C, before).
  int64_t drain_ms = tree.alive_count() > 0 ? 300 : 2000;
  HeapReport last = ingest_->stop(drain_ms);
  write_report(std::move(last), tree, writer, now_ms);
}

}  // namespace leakscope::collect
