// `leakscope export cap.db --format csv`: the recorded series as CSV for pandas and
// spreadsheets. Empty cells mean "not available from the source", never 0.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>

#include "cli/cli_common.h"
#include "report/heap_export.h"
#include "report/report.h"
#include "store/capture_reader.h"

namespace leakscope::cli {
namespace {

struct ExportFlags {
  std::string capture;
  std::string format = "csv";
  std::string table = "sample";
  std::string output = "-";
  bool redact = false;  // chrome-trace
  std::string value = "live";  // heap formats (folded)
};

std::string csv_quote(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string cell(int64_t v) { return v < 0 ? "" : std::to_string(v); }

Status export_csv(store::CaptureReader& reader, const std::string& table, std::ostream& out) {
  const auto& meta = reader.meta();
  auto ident = [&](int64_t process_id) {
    const auto* p = meta.find_process(process_id);
    const auto* g = meta.latest_generation(process_id);
    return std::to_string(p ? p->pid : 0) + "," + std::to_string(p ? p->start_ticks : 0) + "," +
           csv_quote(g ? g->comm : "");
  };
  auto secs = [](int64_t ms) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.3f", static_cast<double>(ms) / 1000.0);
    return std::string(buf);
  };
  if (table == "sample") {
    out << "pid,start_ticks,comm,t_s,rss,rss_anon,rss_file,rss_shmem,vm_data,vm_swap,vm_hwm,"
           "threads,fds,minflt,majflt,cpu_ms,read_us\n";
    ASSIGN_OR_RETURN(auto all, reader.all_samples());
    for (const auto& [id, rows] : all) {
      std::string who = ident(id);
      for (const auto& s : rows)
        out << who << ',' << secs(s.t_ms) << ',' << cell(s.rss) << ',' << cell(s.rss_anon) << ','
            << cell(s.rss_file) << ',' << cell(s.rss_shmem) << ',' << cell(s.vm_data) << ','
            << cell(s.vm_swap) << ',' << cell(s.vm_hwm) << ',' << cell(s.threads) << ','
            << cell(s.fds) << ',' << cell(s.minflt) << ',' << cell(s.majflt) << ','
            << cell(s.cpu_ms) << ',' << cell(s.read_us) << '\n';
    }
  } else if (table == "detail") {
    out << "pid,start_ticks,comm,t_s,source,rss,pss,pss_anon,pss_file,pss_shmem,private_clean,"
           "private_dirty,shared_clean,shared_dirty,swap,swap_pss,read_us\n";
    ASSIGN_OR_RETURN(auto all, reader.all_details());
    for (const auto& [id, rows] : all) {
      std::string who = ident(id);
      for (const auto& d : rows)
        out << who << ',' << secs(d.t_ms) << ',' << d.source << ',' << cell(d.rss) << ','
            << cell(d.pss) << ',' << cell(d.pss_anon) << ',' << cell(d.pss_file) << ','
            << cell(d.pss_shmem) << ',' << cell(d.private_clean) << ',' << cell(d.private_dirty)
            << ',' << cell(d.shared_clean) << ',' << cell(d.shared_dirty) << ',' << cell(d.swap)
            << ',' << cell(d.swap_pss) << ',' << cell(d.read_us) << '\n';
    }
  } else if (table == "mark") {
    out << "t_s,label,source,text\n";
    for (const auto& m : meta.marks)
      out << secs(m.t_ms) << ',' << csv_quote(m.label) << ',' << m.source << ','
          << csv_quote(m.text) << '\n';
  } else if (table == "process") {
    out << "pid,start_ticks,comm,ppid,parent_pid,start_s,first_seen_s,exit_s,end_state,exit_code,"
           "exit_signal,cmdline\n";
    for (const auto& p : meta.processes) {
      const auto* g = meta.latest_generation(p.id);
      const auto* parent = p.parent_id >= 0 ? meta.find_process(p.parent_id) : nullptr;
      out << p.pid << ',' << p.start_ticks << ',' << csv_quote(g ? g->comm : "") << ',' << p.ppid
          << ',' << (parent ? std::to_string(parent->pid) : "") << ','
          << (p.start_ms == store::kUnknownTime ? "" : secs(p.start_ms)) << ',' << secs(p.first_seen_ms)
          << ',' << (p.exit_ms < 0 ? "" : secs(p.exit_ms)) << ',' << p.end_state << ','
          << cell(p.exit_code) << ',' << cell(p.exit_signal) << ','
          << csv_quote(g ? g->cmdline : "") << '\n';
    }
  } else {
    return Status(StatusCode::kInvalidArgument, "unknown --table '" + table + "'", "",
                  "use sample, detail, mark or process");
  }
  return Status::ok();
}

int export_command(const ExportFlags& f) {
  if (f.format == "chrome-trace") {
    auto r = report::export_chrome_trace(f.capture, f.output, f.redact);
    return r.is_ok() ? 0 : fail(r.status());
  }
  if (f.format != "csv" && !report::is_heap_export_format(f.format))
    return fail(Status(StatusCode::kInvalidArgument, "unknown export format '" + f.format + "'",
                       "this build exports csv, pprof, folded and chrome-trace", "use --format csv"));
  auto reader = store::CaptureReader::open(f.capture);
  if (!reader.is_ok()) return fail(reader.status());
  std::unique_ptr<std::ofstream> file;
  std::ostream* out = &std::cout;
  if (f.output != "-") {
    file = std::make_unique<std::ofstream>(f.output);
    if (!*file)
      return fail(Status(StatusCode::kIo, "cannot write " + f.output, "open failed",
                         "check the folder exists and is writable"));
    out = file.get();
  }
  Status s = report::is_heap_export_format(f.format)
                 ? report::export_heap(*reader, {f.capture, f.format, f.value, {}}, *out)
                 : export_csv(*reader, f.table, *out);
  if (!s.is_ok()) return fail(s);
  out->flush();
  return 0;
}

}  // namespace

void add_export_command(CLI::App& app, Action* action) {
  auto flags = std::make_shared<ExportFlags>();
  CLI::App* cmd = app.add_subcommand("export", "Export a capture's series (csv)");
  cmd->add_option("capture", flags->capture, "Capture file")->required();
  cmd->add_option("--format", flags->format, "Output format")->capture_default_str();
  cmd->add_option("--table", flags->table, "sample, detail, mark or process")->capture_default_str();
  cmd->add_option("-o,--output", flags->output, "Output file ('-' = stdout)")->capture_default_str();
  cmd->add_flag("--redact", flags->redact, "chrome-trace: replace home folders, user/host names, addresses");
  cmd->add_option("--value", flags->value, "folded: live, alloc, unfreed or growth bytes")
      ->capture_default_str();
  cmd->callback([flags, action] { *action = [flags] { return export_command(*flags); }; });
}

}  // namespace leakscope::cli
