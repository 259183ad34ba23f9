// A synthetic capture for the report tests, written through the real CaptureWriter: a
// three-process tree recorded for 120 s (a warm-up then flat main process, a worker that
// leaks 256 KiB/s of private anonymous memory during `active` phases only, a flat helper),
// phase marks, a permission note, recorder stats, and heap data for the worker with
// pre-symbolised frames (so the output does not depend on the machine's binaries). Its
// run facts carry what redaction and secret masking must catch: a home folder, a user
// name, a host name, IPv4/IPv6 and e-mail addresses, and secrets on the command line.
// Everything is deterministic, so rendered reports can be compared with golden files.
#pragma once

#include <cmath>
#include <string>

#include "store/capture_writer.h"

namespace leakscope::testing {

inline constexpr const char* kReportHost = "buildbox-7";
inline constexpr const char* kReportUser = "alice";
inline constexpr const char* kReportSecret = "hunter2sesame";
inline constexpr const char* kReportToken = "ghp_Xk29QmTz81LpVw03RsYu67BnCd45EfGh12Ij";
inline constexpr int32_t kWorkerPid = 4102;

struct ReportCaptureOptions {
  bool heap = true;
  bool finished = true;
  bool detail = true;
  double duration_s = 120;
};

inline std::string write_report_capture(const std::string& path,
                                        const ReportCaptureOptions& o = {}) {
  store::RunInfo run;
  run.mode = "run";
  run.argv = {"/home/alice/src/shop/bin/shop-server", "--listen=10.20.30.40:8443",
              "--peer", "[2001:db8:85a3::8a2e:370:7334]:9000", "--admin-email=alice@example.com",
              "--password=" + std::string(kReportSecret), "--token", kReportToken,
              "--config", "/home/alice/src/shop/conf/v1.2.3.4/shop.toml"};
  run.command = "";
  for (const auto& a : run.argv) run.command += (run.command.empty() ? "" : " ") + a;
  run.cwd = "/home/alice/src/shop";
  run.host = kReportHost;
  run.kernel = "6.1.0-18-amd64";
  run.leakscope_version = "0.1.0";
  run.start_unix_ns = 1767225600000000000LL;  // 2026-01-01T00:00:00Z
  run.tick_ms = 100;
  run.detail_min_ms = 1000;
  run.mem_total = 16LL << 30;
  run.nofile_limit = 1024;
  run.options_json = o.heap ? R"({"interval_ms":100,"detail_min_ms":1000,"detail_enabled":true,"heap":"full","heap_sample_interval":0})"
                            : R"({"interval_ms":100,"detail_min_ms":1000,"detail_enabled":true})";
  auto writer = store::CaptureWriter::create(path, run);
  if (!writer.is_ok()) return writer.status().message();
  auto& w = **writer;

  struct Proc {
    int32_t pid;
    int parent;
    const char* comm;
    const char* cmdline;
  };
  const Proc procs[] = {
      {4100, -1, "shop-server", "/home/alice/src/shop/bin/shop-server --listen=10.20.30.40:8443"},
      {kWorkerPid, 0, "shop-worker", "shop-worker --upstream=db.buildbox-7.corp.example.com"},
      {4103, 0, "shop-helper", "shop-helper --notify alice@example.com"}};
  int64_t ids[3];
  for (int i = 0; i < 3; ++i) {
    store::ProcessInfo info;
    info.pid = procs[i].pid;
    info.start_ticks = static_cast<uint64_t>(1000 + i);
    info.start_ms = 0;
    info.parent_id = procs[i].parent >= 0 ? ids[procs[i].parent] : store::kNone;
    info.ppid = procs[i].parent >= 0 ? procs[procs[i].parent].pid : 1;
    info.uid = 0;
    info.is_root = procs[i].parent < 0;
    info.end_state = o.finished ? "exited" : "running";
    if (o.finished) info.exit_ms = info.last_seen_ms = static_cast<int64_t>(o.duration_s * 1000);
    ids[i] = w.add_process(info);
    w.add_generation({ids[i], 0, 0, procs[i].comm,
                      std::string("/home/alice/src/shop/bin/") + procs[i].comm, procs[i].cmdline});
  }
  // Phases: active 6 s, idle 4 s.
  for (int k = 0; k * 10 < o.duration_s; ++k) {
    w.add_mark({k * 10000, "active", "stdout", "PHASE active"});
    if (k * 10 + 6 < o.duration_s) w.add_mark({k * 10000 + 6000, "idle", "stdout", "PHASE idle"});
  }
  w.add_note({500, ids[2], "permission", "cannot read /proc/4103/smaps_rollup (EACCES)"});

  double leaked = 0;
  int64_t cpu_ms = 0;  // cumulative: half a core while active, 5% while idle
  int64_t end_ms = static_cast<int64_t>(o.duration_s * 1000);
  for (int64_t t_ms = 0; t_ms <= end_ms; t_ms += run.tick_ms) {
    double t = static_cast<double>(t_ms) / 1000.0;
    bool active = std::fmod(t, 10.0) < 6.0;
    if (t_ms > 0 && active) leaked += 256.0 * 1024 * 0.1;
    if (t_ms > 0) cpu_ms += active ? 50 : 5;
    auto jitter = [&](int i) { return static_cast<int64_t>(((t_ms / 100 * 7919 + i * 104729) % 17) * 4096); };
    const int64_t anon[3] = {static_cast<int64_t>(64e6 * (1 - std::exp(-t / 8))) + jitter(0),
                             (20LL << 20) + static_cast<int64_t>(leaked) + jitter(1),
                             (8LL << 20) + jitter(2)};
    for (int i = 0; i < 3; ++i) {
      store::Sample s;
      s.process_id = ids[i];
      s.t_ms = t_ms;
      s.rss_anon = anon[i] / 4096 * 4096;
      s.rss_file = 12LL << 20;
      s.rss_shmem = 0;
      s.rss = s.rss_anon + s.rss_file;
      s.vm_data = s.rss_anon + (64LL << 20);
      s.vm_swap = 0;
      s.threads = 4;
      s.fds = 16 + i;
      s.cpu_ms = cpu_ms;
      s.read_us = 40 + i;
      w.add_sample(s);
      if (o.detail && t_ms % run.detail_min_ms == 0) {
        store::DetailSample d;
        d.process_id = ids[i];
        d.t_ms = t_ms;
        d.source = "smaps_rollup";
        d.rss = s.rss;
        d.pss_anon = s.rss_anon;
        d.pss_file = s.rss_file / 3;
        d.pss_shmem = 0;
        d.pss = d.pss_anon + d.pss_file;
        d.private_dirty = s.rss_anon;
        d.swap = d.swap_pss = 0;
        d.read_us = 300;
        w.add_detail(d);
      }
    }
    if (t_ms % 1000 == 0 && t_ms > 0)
      w.add_recorder_stat({t_ms, 4000, 1000000, 3, 150, 300});
    if (o.heap && t_ms % 1000 == 0) {
      // Stack 1 leaks while active, stack 2 is a startup table, stack 3 churns.
      int64_t leak = static_cast<int64_t>(leaked * 0.9);
      w.add_heap_site_sample({ids[1], t_ms, 1, leak, leak / 4096, leak, leak / 4096, 0, 0, 0});
      if (t_ms == 0) w.add_heap_site_sample({ids[1], 0, 2, 4 << 20, 1, 4 << 20, 1, 0, 0, 0});
      int64_t churn_live = (t_ms / 1000 % 3) * 65536;
      w.add_heap_site_sample({ids[1], t_ms, 3, churn_live, churn_live / 65536, t_ms * 1000,
                              t_ms / 10, t_ms * 1000 - churn_live, t_ms / 10 - churn_live / 65536,
                              t_ms / 20});
      w.add_heap_total({ids[1], t_ms, leak + (4 << 20) + churn_live, 0, 0,
                        leak + (4 << 20) + t_ms * 1000, t_ms * 1000 - churn_live});
    }
    if (t_ms % 1000 == 0) {
      auto st = w.flush();
      if (!st.is_ok()) return st.message();
    }
  }
  if (o.heap) {
    int64_t id = ids[1];
    w.add_heap_process({id, "full", 0, "frame-pointer", "tracking", 98765, 0});
    w.add_module({id, 0x400000, 0x480000, 0, "/home/alice/src/shop/bin/shop-worker", "abc123"});
    const uint64_t pcs[3][3] = {{0x401010, 0x402020, 0x403030},
                                {0x404040, 0x403030, 0},
                                {0x405050, 0x402020, 0x403030}};
    const char* fn[] = {"Index::add_entry", "Worker::handle_request", "main", "load_tables",
                        "Buffer::scratch"};
    const uint64_t fn_pc[] = {0x401010, 0x402020, 0x403030, 0x404040, 0x405050};
    for (int s = 0; s < 3; ++s)
      for (int d = 0; d < 3 && pcs[s][d] != 0; ++d) w.add_heap_stack_frame({id, s + 1, d, pcs[s][d]});
    for (int f = 0; f < 5; ++f)
      w.add_frame_symbol({id, fn_pc[f], 0, fn[f], "/home/alice/src/shop/src/worker.cc", 100 + 10 * f,
                          "/home/alice/src/shop/bin/shop-worker"});
    int64_t leak = static_cast<int64_t>(leaked * 0.9);
    w.add_heap_unfreed({id, 1, leak, leak / 4096, true});
    w.add_heap_unfreed({id, 2, 4 << 20, 1, true});
  }
  auto st = o.finished ? w.finish(end_ms, 0, store::kNone) : w.flush();
  return st.is_ok() ? std::string() : st.message();
}

}  // namespace leakscope::testing
