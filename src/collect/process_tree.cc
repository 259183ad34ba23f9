// Process-tree tracking and per-tick sampling; see process_tree.h.
#include "collect/process_tree.h"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/file_util.h"
#include "base/time_util.h"
#include "procfs/children.h"

namespace leakscope::collect {

ProcessTree::ProcessTree(store::CaptureWriter* writer, SamplingOptions options, pid_t self_pid,
                         bool self_is_subreaper)
    : writer_(writer),
      options_(options),
      self_pid_(self_pid),
      self_is_subreaper_(self_is_subreaper) {}

Status ProcessTree::add_root(pid_t pid, int64_t now_ms) {
  auto reader = ProcessReader::open(pid);
  if (!reader.is_ok()) return reader.status();
  track(pid, store::kNone, now_ms, true);
  if (!find_alive(pid)) return Status(StatusCode::kGone, "process " + std::to_string(pid) + " exited");
  return Status::ok();
}

TrackedProcess* ProcessTree::find_alive(pid_t pid) {
  auto it = alive_by_pid_.find(pid);
  if (it == alive_by_pid_.end()) return nullptr;
  return &processes_.at(it->second);
}

const TrackedProcess* ProcessTree::root() const {
  for (const auto& [id, p] : processes_)
    if (p.info.is_root) return &p;
  return nullptr;
}

void ProcessTree::track(pid_t pid, int64_t parent_id, int64_t now_ms, bool is_root) {
  auto reader = ProcessReader::open(pid);
  if (!reader.is_ok()) return;  // exited before we could look: nothing to record
  TrackedProcess p;
  const auto& st = reader->last_stat();
  if (st.state == 'X') return;
  // Already recorded (a zombie we watch, listed again by its parent): same identity.
  if (!known_.insert({pid, reader->start_ticks()}).second) return;
  // A zombie found at first sight (a child that lived shorter than a tick) is still a
  // process of the tree: record its identity, its stat values and that it has exited.
  bool zombie = st.state == 'Z';
  p.info.pid = pid;
  p.info.start_ticks = reader->start_ticks();
  p.info.ppid = st.ppid;
  p.info.parent_id = parent_id;
  p.info.first_seen_ms = now_ms;
  p.info.is_root = is_root;
  p.info.end_state = "running";
  // Process start relative to the recording: starttime is in clock ticks since boot.
  int64_t start_boot_ms = static_cast<int64_t>(p.info.start_ticks) * 1000 / clock_ticks_per_second();
  p.info.start_ms = start_boot_ms - options_.run_start_boot_ns / 1000000;
  reader->read_image(&p.comm, &p.exe, &p.cmdline);
  p.image_code = st.start_code;
  p.image_stack = st.start_stack;
  p.reader = std::move(reader).value();
  p.info.id = writer_->add_process(p.info);
  p.next_detail_ms = now_ms;  // first detailed sample right away: the baseline
  p.detail_interval_ms = options_.detail_min_ms;
  writer_->add_generation({p.info.id, 0, now_ms, p.comm, p.exe, p.cmdline});
  alive_by_pid_[pid] = p.info.id;
  auto it = processes_.emplace(p.info.id, std::move(p)).first;
  if (zombie) {
    TrackedProcess& z = it->second;
    store::Sample s;
    s.process_id = z.info.id;
    s.t_ms = now_ms;
    (void)z.reader->read_cheap(&s, false);  // fills what stat still has (CPU, threads)
    writer_->add_sample(s);
    writer_->add_note({now_ms, z.info.id, "zombie", "process had already exited when first seen"});
    mark_gone(&z, now_ms, "zombie");
  }
}

int64_t ProcessTree::resolve(pid_t pid, uint64_t start_ticks, pid_t ppid, const std::string& exe,
                             int64_t now_ms) {
  for (auto it = processes_.rbegin(); it != processes_.rend(); ++it)
    if (it->second.info.pid == pid && it->second.info.start_ticks == start_ticks) return it->first;
  auto parent = alive_by_pid_.find(ppid);
  int64_t parent_id = parent != alive_by_pid_.end() ? parent->second : store::kNone;
  if (!alive_by_pid_.count(pid)) {
    track(pid, parent_id, now_ms, false);
    if (TrackedProcess* p = find_alive(pid); p && p->info.start_ticks == start_ticks) return p->info.id;
  }
  TrackedProcess p;
  p.alive = false;
  p.info.pid = pid;
  p.info.start_ticks = start_ticks;
  p.info.ppid = ppid;
  p.info.parent_id = parent_id;
  p.info.first_seen_ms = now_ms;
  p.info.last_seen_ms = now_ms;
  p.info.exit_ms = now_ms;
  p.info.end_state = "exited";
  int64_t start_boot_ms = static_cast<int64_t>(start_ticks) * 1000 / clock_ticks_per_second();
  p.info.start_ms = start_boot_ms - options_.run_start_boot_ns / 1000000;
  p.exe = exe;
  p.comm = exe.substr(exe.rfind('/') + 1).substr(0, 15);
  p.info.id = writer_->add_process(p.info);
  writer_->add_generation({p.info.id, 0, now_ms, p.comm, p.exe, p.cmdline});
  int64_t id = p.info.id;
  processes_.emplace(id, std::move(p));
  return id;
}

void ProcessTree::discover(int64_t now_ms, bool full) {
  // Most ticks nothing new was started anywhere: one small read instead of a children
  // read per process. A pid allocated after this read moves the value for the next tick.
  int64_t last_pid = -1;
  if (!loadavg_fd_.valid()) {
    auto fd = open_readonly("/proc/loadavg");
    if (fd.is_ok()) loadavg_fd_ = std::move(fd).value();
  }
  if (loadavg_fd_.valid() &&
      pread_all(loadavg_fd_.get(), &loadavg_buf_, "/proc/loadavg", ReadEnd::kShortReadIsEnd).is_ok())
    last_pid = procfs::parse_loadavg_last_pid(loadavg_buf_);
  if (last_pid >= 0 && last_pid == last_pid_at_pass_) return;
  bool pass_complete = true;

  // Parents to ask: every live tracked process, plus ourselves when orphans of the tree
  // are reparented to us (run mode, child subreaper).
  std::vector<std::pair<pid_t, int64_t>> parents;
  for (const auto& [pid, id] : alive_by_pid_) parents.push_back({pid, id});
  if (self_is_subreaper_) parents.push_back({self_pid_, store::kNone});

  bool need_scan = !children_files_;
  for (size_t i = 0; i < parents.size(); ++i) {
    auto [ppid, parent_id] = parents[i];
    scratch_.clear();
    Status s;
    TrackedProcess* tracked = parent_id >= 0 ? &processes_.at(parent_id) : nullptr;
    // A single-threaded process's children are all in its main thread's file (children of
    // exited threads are reparented within the group), so only the multi-threaded ones need
    // the per-thread pass.
    bool main_thread_only = tracked && tracked->reader &&
                            (!full || tracked->reader->last_stat().num_threads == 1);
    if (main_thread_only) {
      s = tracked->reader->read_main_thread_children(&scratch_);
      if (!s.is_ok()) continue;  // gone, or no children files: the full pass handles it
    } else {
      s = procfs::list_children(ppid, &scratch_);
    }
    if (s.code() == StatusCode::kUnsupported) {
      children_files_ = false;
      need_scan = true;
      break;
    }
    for (pid_t child : scratch_) {
      if (child == self_pid_ || alive_by_pid_.count(child)) continue;
      track(child, parent_id, now_ms, false);
      if (auto* p = find_alive(child)) parents.push_back({child, p->info.id});
    }
  }
  if (need_scan && now_ms - last_scan_ms_ < 1000) pass_complete = false;
  if (need_scan && now_ms - last_scan_ms_ >= 1000) {
    // Fallback: one pass over /proc, then close the tree by ppid until nothing new appears.
    last_scan_ms_ = now_ms;
    std::vector<procfs::PidParent> all;
    if (procfs::scan_all_processes(&all).is_ok()) {
      bool added = true;
      while (added) {
        added = false;
        for (const auto& pp : all) {
          if (alive_by_pid_.count(pp.pid) || pp.pid == self_pid_) continue;
          auto parent = alive_by_pid_.find(pp.ppid);
          bool ours = parent != alive_by_pid_.end() || (self_is_subreaper_ && pp.ppid == self_pid_);
          if (!ours) continue;
          track(pp.pid, parent != alive_by_pid_.end() ? parent->second : store::kNone, now_ms, false);
          added = added || alive_by_pid_.count(pp.pid) > 0;
        }
      }
    }
  }
  // A full pass also covers threads' children; a main-thread pass leaves them for the next
  // full one, so only a full pass may end the search for this pid.
  if (pass_complete && full) last_pid_at_pass_ = last_pid;
}

void ProcessTree::check_exec(TrackedProcess* p, int64_t now_ms) {
  std::string comm, exe, cmdline;
  p->reader->read_image(&comm, &exe, &cmdline);
  const auto& st = p->reader->last_stat();
  bool have_layout = st.start_code != 0 || st.start_stack != 0;
  // The layout is set by exec and fixed for the image's life, so a move is an exec even
  // when the same binary ran again with the same arguments.
  bool layout_moved = have_layout && (st.start_code != p->image_code || st.start_stack != p->image_stack);
  if (!layout_moved && comm == p->comm && exe == p->exe && cmdline == p->cmdline) return;
  if (exe.empty() && cmdline == "[" + comm + "]") return;  // exiting: mm already gone
  bool new_image = have_layout ? (layout_moved || exe != p->exe)
                               : (exe != p->exe || cmdline != p->cmdline);
  // A rename (prctl PR_SET_NAME, setproctitle) updates the current generation in place;
  // an exec starts a new one.
  if (new_image) p->generation += 1;
  p->comm = comm;
  p->exe = exe;
  p->cmdline = cmdline;
  p->image_code = st.start_code;
  p->image_stack = st.start_stack;
  int64_t since = now_ms;
  if (!new_image) {
    since = p->generation == 0 ? p->info.first_seen_ms : generation_start_[p->info.id];
  } else {
    generation_start_[p->info.id] = now_ms;
  }
  writer_->add_generation({p->info.id, p->generation, since, comm, exe, cmdline});
}

void ProcessTree::watch_zombies(int64_t now_ms) {
  for (size_t i = 0; i < zombies_.size();) {
    TrackedProcess& p = processes_.at(zombies_[i]);
    bool still_zombie = p.zombie && p.reader && p.reader->read_state() == 'Z';
    if (still_zombie) {
      ++i;
      continue;
    }
    // Reaped by its parent (its /proc entry is gone): it exited when it became a zombie.
    if (p.zombie) {
      p.zombie = false;
      p.info.end_state = "exited";
      write_process(p);
    }
    p.reader.reset();
    zombies_.erase(zombies_.begin() + static_cast<long>(i));
  }
  (void)now_ms;
}

void ProcessTree::mark_gone(TrackedProcess* p, int64_t now_ms, const std::string& state) {
  if (!p->alive) return;
  p->alive = false;
  p->info.exit_ms = now_ms;
  p->info.end_state = state;
  alive_by_pid_.erase(p->info.pid);
  if (state == "zombie") {
    p->zombie = true;
    zombies_.push_back(p->info.id);  // keep the reader: we watch for the reaping
  } else {
    p->reader.reset();
  }
  write_process(*p);
}

void ProcessTree::schedule_detail(TrackedProcess* p, int64_t cost_us, int64_t now_ms) {
  // Keep the sum over processes of cost/interval under the budget: each process may use
  // budget / N of a core, so interval >= cost * N / budget. Big processes cost more to
  // walk, so they are read less often without a separate size rule.
  double n = static_cast<double>(std::max<size_t>(1, alive_count()));
  double interval = static_cast<double>(cost_us) / 1000.0 * n / options_.detail_cpu_budget;
  int64_t ms = std::clamp<int64_t>(static_cast<int64_t>(interval), options_.detail_min_ms,
                                   options_.detail_max_ms);
  p->detail_interval_ms = ms;
  p->next_detail_ms = now_ms + ms;
}

TickStats ProcessTree::sample(int64_t now_ms, int64_t tick_index) {
  TickStats stats;
  watch_zombies(now_ms);
  std::vector<int64_t> ids;
  for (const auto& [pid, id] : alive_by_pid_) ids.push_back(id);
  for (int64_t id : ids) {
    TrackedProcess* p = &processes_.at(id);
    store::Sample s;
    s.process_id = id;
    s.t_ms = now_ms;
    bool with_status = options_.status_every_ticks <= 1 || tick_index % options_.status_every_ticks == 0 ||
                       p->info.first_seen_ms == now_ms;
    Status st = p->reader->read_cheap(&s, with_status);
    if (!st.is_ok()) {
      bool zombie = p->reader->last_stat().state == 'Z';
      if (zombie) {
        // A zombie still has its stat: keep the final CPU time, memory is gone.
        writer_->add_note({now_ms, id, "zombie", "process became a zombie (exited, not yet reaped)"});
      }
      mark_gone(p, now_ms, zombie ? "zombie" : "exited");
      continue;
    }
    stats.cheap_read_us += s.read_us;
    stats.samples += 1;
    p->info.last_seen_ms = now_ms;
    p->last_rss = s.rss;
    if (with_status && s.fds < 0 && !p->fds_denied_noted) {
      p->fds_denied_noted = true;
      writer_->add_note({now_ms, id, "permission",
                         "cannot list /proc/" + std::to_string(p->info.pid) +
                             "/fd: fd counts are not recorded for this process"});
    }
    writer_->add_sample(s);
    // An exec shows in stat at once (a new comm, or a new image layout: start_code and
    // start_stack move); the periodic re-read only catches a rewritten command line and an
    // exec of the same binary without address randomisation.
    const procfs::ProcStat& st_now = p->reader->last_stat();
    bool layout_moved = (st_now.start_code != 0 || st_now.start_stack != 0) &&
                        (st_now.start_code != p->image_code || st_now.start_stack != p->image_stack);
    if (st_now.comm != p->comm || layout_moved ||
        (options_.exec_check_ticks > 0 && tick_index % options_.exec_check_ticks == 0))
      check_exec(p, now_ms);

    if (options_.maps_interval_ms > 0 && now_ms >= p->next_maps_ms) {
      store::MapsSummary m;
      m.process_id = id;
      m.t_ms = now_ms;
      if (p->reader->read_maps_summary(&m).is_ok()) writer_->add_maps_summary(m);
      p->next_maps_ms = now_ms + options_.maps_interval_ms;
    }
    if (options_.detail_enabled && !p->detail_denied && now_ms >= p->next_detail_ms) {
      store::DetailSample d;
      d.process_id = id;
      d.t_ms = now_ms;
      Status ds = p->reader->read_detail(&d);
      if (ds.is_ok()) {
        stats.detail_read_us += d.read_us;
        stats.details += 1;
        p->last_pss = d.pss;
        writer_->add_detail(d);
        schedule_detail(p, d.read_us, now_ms);
      } else if (ds.code() == StatusCode::kPermissionDenied) {
        p->detail_denied = true;
        writer_->add_note({now_ms, id, "permission",
                           "cannot read smaps of pid " + std::to_string(p->info.pid) +
                               " (" + ds.why() + "): no PSS for this process"});
      } else if (ds.code() != StatusCode::kGone) {
        writer_->add_note({now_ms, id, "detail-error", ds.message()});
        schedule_detail(p, 0, now_ms);
      }
    }
  }
  return stats;
}

void ProcessTree::on_reaped(pid_t pid, int wait_status, int64_t now_ms) {
  // The reaped pid may already be marked gone (zombie seen by a tick): find it by pid among
  // processes that have not been given an exit status yet, latest first.
  TrackedProcess* match = nullptr;
  for (auto& [id, p] : processes_)
    if (p.info.pid == pid && p.info.exit_code < 0 && p.info.exit_signal < 0) match = &p;
  if (!match) return;
  if (WIFEXITED(wait_status)) match->info.exit_code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) match->info.exit_signal = WTERMSIG(wait_status);
  if (match->alive) {
    match->alive = false;
    match->info.exit_ms = now_ms;
    alive_by_pid_.erase(pid);
  }
  match->zombie = false;
  match->reader.reset();
  match->info.end_state = "exited";
  write_process(*match);
}

void ProcessTree::finish(int64_t now_ms) {
  for (auto& [id, p] : processes_) {
    if (p.alive) {
      p.info.last_seen_ms = now_ms;
      p.info.end_state = "running";
      write_process(p);
    } else if (p.info.end_state == "zombie" && p.info.last_seen_ms >= 0) {
      write_process(p);
    }
  }
}

size_t ProcessTree::alive_count() const { return alive_by_pid_.size(); }

int64_t ProcessTree::total_pss() const {
  int64_t total = 0;
  for (const auto& [pid, id] : alive_by_pid_) {
    const auto& p = processes_.at(id);
    total += p.last_pss >= 0 ? p.last_pss : std::max<int64_t>(0, p.last_rss);
  }
  return total;
}

}  // namespace leakscope::collect
