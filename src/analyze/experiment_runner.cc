// The experiment scheduler, its manifest and the measurement of finished runs; see
// experiment_runner.h.
#include "analyze/experiment_runner.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "analyze/check_decision.h"
#include "analyze/run_recording.h"
#include "base/file_util.h"
#include "base/scoped_fd.h"
#include "base/time_util.h"

namespace leakscope::analyze {
namespace {

constexpr const char* kManifestFormat = "leakscope-experiment-manifest";

std::string manifest_path(const std::string& folder) { return folder + "/manifest.json"; }

Status write_file_atomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return errno_status(errno, "cannot write " + tmp);
  ScopedFd out(fd);
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(out.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return errno_status(errno, "cannot write " + tmp);
    done += static_cast<size_t>(n);
  }
  if (::fsync(out.get()) != 0) return errno_status(errno, "cannot write " + tmp);
  if (::rename(tmp.c_str(), path.c_str()) != 0) return errno_status(errno, "cannot replace " + path);
  return Status::ok();
}

std::string run_stem(const std::string& variant, int repeat) {
  return variant + "-" + std::to_string(repeat);
}

}  // namespace

const RunRecord* Manifest::find(const std::string& variant, int repeat) const {
  for (const auto& r : runs)
    if (r.variant == variant && r.repeat == repeat) return &r;
  return nullptr;
}

StatusOr<Manifest> load_manifest(const std::string& folder) {
  std::string path = manifest_path(folder);
  std::string text;
  RETURN_IF_ERROR(read_file(path, &text));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  auto corrupt = [&](const std::string& why) {
    return Status(StatusCode::kCorrupt, "cannot resume from " + path, why,
                  "remove the folder or use another -o folder");
  };
  if (j.is_discarded() || !j.is_object() || j.value("format", "") != kManifestFormat)
    return corrupt("not an experiment manifest");
  int version = j.value("version", 0);
  if (version > kManifestVersion)
    return Status(StatusCode::kUnsupported, "cannot resume from " + path,
                  "manifest version " + std::to_string(version) + " is newer than this leakscope's " +
                      std::to_string(kManifestVersion),
                  "use a newer leakscope or another -o folder");
  Manifest m;
  m.experiment = j.value("experiment", "");
  if (!j.contains("runs") || !j["runs"].is_array()) return corrupt("no runs array");
  for (const auto& r : j["runs"]) {
    if (!r.is_object()) return corrupt("a run is not an object");
    RunRecord rec;
    rec.variant = r.value("variant", "");
    rec.repeat = r.value("repeat", 0);
    rec.fingerprint = r.value("fingerprint", "");
    rec.capture = r.value("capture", "");
    rec.log = r.value("log", "");
    rec.wall_s = r.value("wall_s", 0.0);
    rec.recorded = r.value("recorded", false);
    rec.timed_out = r.value("timed_out", false);
    rec.error = r.value("error", "");
    if (rec.variant.empty() || rec.repeat < 1) return corrupt("a run without variant or repeat");
    m.runs.push_back(rec);
  }
  return m;
}

Status save_manifest(const std::string& folder, const Manifest& m) {
  nlohmann::json runs = nlohmann::json::array();
  for (const auto& r : m.runs)
    runs.push_back({{"variant", r.variant},   {"repeat", r.repeat},   {"fingerprint", r.fingerprint},
                    {"capture", r.capture},   {"log", r.log},         {"wall_s", r.wall_s},
                    {"recorded", r.recorded}, {"timed_out", r.timed_out}, {"error", r.error}});
  nlohmann::json j = {{"format", kManifestFormat},
                      {"version", kManifestVersion},
                      {"experiment", m.experiment},
                      {"runs", runs}};
  return write_file_atomically(manifest_path(folder), j.dump(1) + "\n");
}

std::vector<ScheduledRun> schedule_runs(const ExperimentConfig& cfg) {
  std::vector<ScheduledRun> out;
  for (int r = 1; r <= cfg.repeats; ++r)
    for (size_t v = 0; v < cfg.variants.size(); ++v) out.push_back({v, r});
  return out;
}

StatusOr<RunnerOutcome> run_experiment(const ExperimentConfig& cfg, const RunnerOptions& opts) {
  RunnerOutcome out;
  std::error_code ec;
  bool exists = std::filesystem::exists(manifest_path(opts.folder), ec);
  if (exists && !opts.resume) {
    auto old = load_manifest(opts.folder);
    size_t n = old.is_ok() ? old->runs.size() : 0;
    return Status(StatusCode::kInvalidArgument,
                  "folder " + opts.folder + " already holds an experiment",
                  std::to_string(n) + " finished run" + (n == 1 ? "" : "s") + " in its manifest",
                  "continue it with --resume, or write to another -o folder");
  }
  if (exists) {
    ASSIGN_OR_RETURN(out.manifest, load_manifest(opts.folder));
    for (const auto& r : out.manifest.runs) {
      const VariantSpec* v = cfg.find(r.variant);
      if (v && r.recorded && r.fingerprint != cfg.run_fingerprint(*v))
        return Status(StatusCode::kInvalidArgument,
                      "cannot resume " + opts.folder + " with " + cfg.path,
                      "variant '" + r.variant + "' was recorded with another command, "
                      "environment, folder, duration or sampling",
                      "record into another -o folder");
    }
  }
  out.manifest.experiment = cfg.path;
  std::filesystem::create_directories(opts.folder + "/runs", ec);
  if (ec)
    return Status(StatusCode::kIo, "cannot create " + opts.folder + "/runs", ec.message(),
                  "give a writable -o folder");
  auto resolved = resolve_command(cfg.workload.command[0], cfg.workload.cwd,
                                  "workload.command in " + cfg.path);
  if (!resolved.is_ok()) return resolved.status();

  std::vector<ScheduledRun> todo;
  for (const auto& s : schedule_runs(cfg)) {
    const RunRecord* done = out.manifest.find(cfg.variants[s.variant].name, s.repeat);
    if (done && done->recorded) ++out.reused;
    else todo.push_back(s);
  }
  double timeout = cfg.workload.timeout_s;
  if (timeout <= 0 && cfg.workload.duration_s > 0) timeout = cfg.workload.duration_s + 60;
  int64_t t0 = monotonic_ns();
  double past_wall = 0;
  size_t past_n = 0;
  for (const auto& r : out.manifest.runs)
    if (r.recorded) {
      past_wall += r.wall_s;
      ++past_n;
    }
  double session_wall = 0;
  for (size_t i = 0; i < todo.size(); ++i) {
    const VariantSpec& v = cfg.variants[todo[i].variant];
    Progress p;
    p.variant = v.name;
    p.repeat = todo[i].repeat;
    p.repeats = cfg.repeats;
    p.index = i + 1;
    p.total = todo.size();
    p.elapsed_s = static_cast<double>(monotonic_ns() - t0) / 1e9;
    // Time per run from this session's runs, else from the resumed ones.
    double per_run = out.recorded > 0 ? session_wall / static_cast<double>(out.recorded)
                     : past_n > 0     ? past_wall / static_cast<double>(past_n)
                     : cfg.workload.duration_s > 0 ? cfg.workload.duration_s + 0.5
                                                   : -1;
    p.left_s = per_run > 0 ? per_run * static_cast<double>(todo.size() - i) : -1;
    if (opts.on_progress) opts.on_progress(p);

    std::string stem = run_stem(v.name, todo[i].repeat);
    RecordingSpec rs;
    rs.leakscope_exe = opts.leakscope_exe;
    rs.command = cfg.command_of(v);
    rs.env = cfg.env_of(v);
    rs.cwd = cfg.workload.cwd;
    rs.capture = opts.folder + "/runs/" + stem + ".db";
    rs.log = opts.folder + "/runs/" + stem + ".log";
    rs.duration_s = cfg.workload.duration_s;
    rs.timeout_s = timeout;
    rs.mark_regex = cfg.workload.mark_regex;
    rs.interval = cfg.workload.interval;
    ASSIGN_OR_RETURN(RecordingOutcome o, record_in_child(rs, opts.should_stop));
    if (o.interrupted) {
      // A run cut short measures something else: it is not kept.
      ::unlink(rs.capture.c_str());
      out.interrupted = true;
      break;
    }
    RunRecord rec;
    rec.variant = v.name;
    rec.repeat = todo[i].repeat;
    rec.fingerprint = cfg.run_fingerprint(v);
    rec.capture = "runs/" + stem + ".db";
    rec.log = "runs/" + stem + ".log";
    rec.wall_s = o.wall_s;
    rec.recorded = o.capture_written;
    rec.timed_out = o.timed_out;
    rec.error = o.error_line;
    if (!rec.recorded && rec.error.empty()) rec.error = "the recorder wrote no capture";
    bool replaced = false;
    for (auto& r : out.manifest.runs)
      if (r.variant == rec.variant && r.repeat == rec.repeat) {
        r = rec;
        replaced = true;
      }
    if (!replaced) out.manifest.runs.push_back(rec);
    RETURN_IF_ERROR(save_manifest(opts.folder, out.manifest));
    ++out.recorded;
    session_wall += o.wall_s;
  }
  return out;
}

StatusOr<ExperimentResult> measure_experiment(const ExperimentConfig& cfg, const std::string& folder,
                                              const Manifest& manifest) {
  ExperimentResult res;
  res.folder = folder;
  ExperimentInput in;
  for (const auto& v : cfg.variants) {
    VariantInput vi;
    vi.name = v.name;
    vi.control = v.control;
    vi.predicted = v.predicted;
    vi.components = v.components;
    in.variants.push_back(vi);
    if (v.control) in.baseline = v.baseline;
  }
  std::vector<ScheduledRun> plan = schedule_runs(cfg);
  res.scheduled = plan.size();
  for (const auto& s : plan) {
    const VariantSpec& v = cfg.variants[s.variant];
    const RunRecord* rec = manifest.find(v.name, s.repeat);
    if (!rec) continue;
    RunRow row;
    row.variant = v.name;
    row.repeat = s.repeat;
    row.capture = rec->capture;
    if (rec->timed_out) {
      row.note = "timed out";
    } else if (!rec->recorded) {
      row.note = "not recorded: " + rec->error;
    } else {
      auto m = measure_capture(folder + "/" + rec->capture, cfg.measure);
      if (!m.is_ok()) {
        row.note = "unreadable: " + m.status().message();
      } else {
        row.m = *m;
        if (m->exit_signal > 0)
          row.note = "crashed (killed by " + signal_name(static_cast<int>(m->exit_signal)) + ")";
        else if (!m->measured)
          row.note = m->why_not;
        else
          row.used = true;
        if (row.used && m->exit_code > 0) row.note = "exited with status " + std::to_string(m->exit_code);
        if (row.used && m->state == State::kSettling)
          row.note += (row.note.empty() ? "" : "; ") + std::string("settling: ") + m->reason;
      }
    }
    if (row.used)
      in.variants[s.variant].runs.push_back({row.m.rate, row.m.ci_lo, row.m.ci_hi});
    res.runs.push_back(row);
  }
  res.analysis = analyze_experiment(in, cfg.measure.series);
  return res;
}

}  // namespace leakscope::analyze
