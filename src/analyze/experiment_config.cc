// Parsing and validation of experiment files with toml++; see experiment_config.h.
// toml++ reports syntax errors by exception: they are caught here and become a Status,
// so nothing is thrown past this file.
#include "analyze/experiment_config.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>
#include <toml++/toml.h>

#include "analyze/rate_spec.h"
#include "base/file_util.h"
#include "base/time_util.h"

namespace leakscope::analyze {
namespace {

const char* kDocs = "see docs/experiment.md for the keys";

struct Ctx {
  std::string path;
};

std::string at_line(const Ctx& c, const toml::source_region& src) {
  return " in " + c.path + " at line " + std::to_string(src.begin.line);
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1])});
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

// Refuses keys of `table` that are not in `known`; `prefix` is "workload." etc.
Status check_keys(const Ctx& c, const toml::table& table, const std::string& prefix,
                  const std::vector<std::string>& known) {
  for (auto&& [key, node] : table) {
    std::string k(key.str());
    if (std::find(known.begin(), known.end(), k) != known.end()) continue;
    std::string best;
    size_t best_d = 3;
    for (const auto& cand : known) {
      size_t d = edit_distance(k, cand);
      if (d < best_d && d <= std::max<size_t>(1, cand.size() / 3)) {
        best = cand;
        best_d = d;
      }
    }
    return Status(StatusCode::kInvalidArgument,
                  "unknown key '" + prefix + k + "'" + at_line(c, key.source()),
                  "not an experiment setting",
                  best.empty() ? kDocs : "did you mean '" + prefix + best + "'?");
  }
  return Status::ok();
}

Status bad_value(const Ctx& c, const std::string& name, const toml::node& node,
                 const std::string& expected) {
  return Status(StatusCode::kInvalidArgument, "bad value of '" + name + "'" + at_line(c, node.source()),
                "expected " + expected, kDocs);
}

StatusOr<std::string> get_string(const Ctx& c, const std::string& name, const toml::node& node) {
  if (!node.is_string()) return bad_value(c, name, node, "a string");
  return std::string(*node.value<std::string>());
}

StatusOr<std::vector<std::string>> get_strings(const Ctx& c, const std::string& name,
                                               const toml::node& node) {
  const toml::array* arr = node.as_array();
  if (!arr) return bad_value(c, name, node, "an array of strings");
  std::vector<std::string> out;
  for (const auto& item : *arr) {
    if (!item.is_string()) return bad_value(c, name, node, "an array of strings");
    out.push_back(std::string(*item.value<std::string>()));
  }
  return out;
}

StatusOr<EnvList> get_env(const Ctx& c, const std::string& name, const toml::node& node) {
  const toml::table* t = node.as_table();
  if (!t) return bad_value(c, name, node, "a table of NAME = \"value\"");
  EnvList env;
  for (auto&& [key, value] : *t) {
    std::string k(key.str());
    if (k.empty() || k.find('=') != std::string::npos)
      return bad_value(c, name, value, "environment variable names without '='");
    if (value.is_string()) env.emplace_back(k, std::string(*value.value<std::string>()));
    else if (value.is_integer()) env.emplace_back(k, std::to_string(*value.value<int64_t>()));
    else if (value.is_boolean()) env.emplace_back(k, *value.value<bool>() ? "1" : "0");
    else return bad_value(c, name + "." + k, value, "a string, an integer or a boolean");
  }
  return env;
}

StatusOr<double> get_duration(const Ctx& c, const std::string& name, const toml::node& node) {
  if (node.is_integer() || node.is_floating_point()) {
    double v = *node.value<double>();
    if (v > 0) return v;
  } else if (node.is_string()) {
    int64_t ns = 0;
    if (parse_duration_ns(std::string(*node.value<std::string>()), &ns) && ns > 0)
      return static_cast<double>(ns) / 1e9;
  }
  return bad_value(c, name, node, "a positive duration like \"6s\" or \"2m\"");
}

StatusOr<double> get_rate(const Ctx& c, const std::string& name, const toml::node& node,
                          const std::string& series) {
  if ((node.is_integer() || node.is_floating_point()) && *node.value<double>() == 0) return 0.0;
  if (!node.is_string()) return bad_value(c, name, node, "a rate like \"2MiB/s\"");
  auto r = parse_rate(std::string(*node.value<std::string>()));
  if (!r.is_ok())
    return Status(StatusCode::kInvalidArgument,
                  "bad value of '" + name + "'" + at_line(c, node.source()), r.status().what(),
                  r.status().hint());
  if (!rate_fits_series(*r, series))
    return Status(StatusCode::kInvalidArgument,
                  "bad value of '" + name + "'" + at_line(c, node.source()),
                  "its unit does not fit the measured series '" + series + "'",
                  "use bytes for memory series, fds/min for fds, threads/min for threads");
  return r->per_s;
}

Status parse_workload(const Ctx& c, const toml::table& t, WorkloadSpec* w, const std::string& dir) {
  RETURN_IF_ERROR(check_keys(c, t, "workload.",
                             {"command", "env", "cwd", "duration", "timeout", "mark_regex",
                              "interval"}));
  const toml::node* cmd = t.get("command");
  if (!cmd)
    return Status(StatusCode::kInvalidArgument, "no workload.command in " + c.path,
                  "an experiment needs the command it measures",
                  "add command = [\"./app\", \"arg\"] under [workload]");
  ASSIGN_OR_RETURN(w->command, get_strings(c, "workload.command", *cmd));
  if (w->command.empty() || w->command[0].empty())
    return bad_value(c, "workload.command", *cmd, "a non-empty array: the program and its arguments");
  if (const toml::node* n = t.get("env")) {
    ASSIGN_OR_RETURN(w->env, get_env(c, "workload.env", *n));
  }
  w->cwd = dir;
  if (const toml::node* n = t.get("cwd")) {
    ASSIGN_OR_RETURN(std::string cwd, get_string(c, "workload.cwd", *n));
    std::filesystem::path p(cwd);
    w->cwd = (p.is_absolute() ? p : std::filesystem::path(dir) / p).lexically_normal().string();
  }
  if (const toml::node* n = t.get("duration")) {
    ASSIGN_OR_RETURN(w->duration_s, get_duration(c, "workload.duration", *n));
  }
  if (const toml::node* n = t.get("timeout")) {
    ASSIGN_OR_RETURN(w->timeout_s, get_duration(c, "workload.timeout", *n));
  }
  if (const toml::node* n = t.get("mark_regex")) {
    ASSIGN_OR_RETURN(w->mark_regex, get_string(c, "workload.mark_regex", *n));
  }
  if (const toml::node* n = t.get("interval")) {
    ASSIGN_OR_RETURN(w->interval, get_string(c, "workload.interval", *n));
    int64_t ns = 0;
    if (!parse_duration_ns(w->interval, &ns) || ns < 10000000)
      return bad_value(c, "workload.interval", *n, "a sampling period of at least 10ms");
  }
  return Status::ok();
}

Status parse_measure(const Ctx& c, const toml::table& t, MeasureSpec* m) {
  RETURN_IF_ERROR(check_keys(c, t, "measure.", {"process", "role", "series", "phases", "warmup"}));
  const toml::node* process = t.get("process");
  const toml::node* role = t.get("role");
  if (process && role)
    return Status(StatusCode::kInvalidArgument,
                  "both measure.process and measure.role" + at_line(c, role->source()),
                  "a run is measured on one process", "keep one of them");
  if (process) {
    ASSIGN_OR_RETURN(m->name, get_string(c, "measure.process", *process));
    if (m->name.empty()) return bad_value(c, "measure.process", *process, "a process name (comm)");
    m->role = ProcessRole::kName;
  }
  if (role) {
    ASSIGN_OR_RETURN(std::string r, get_string(c, "measure.role", *role));
    auto parsed = parse_role(r, *m);
    if (!parsed.is_ok()) return bad_value(c, "measure.role", *role, "root, largest, tree or child:N");
    *m = *parsed;
  }
  if (const toml::node* n = t.get("series")) {
    ASSIGN_OR_RETURN(m->series, get_string(c, "measure.series", *n));
    Status s = check_series(*m);
    if (!s.is_ok())
      return Status(StatusCode::kInvalidArgument, "bad value of 'measure.series'" + at_line(c, n->source()),
                    s.why(), s.hint());
  }
  if (const toml::node* n = t.get("phases")) {
    ASSIGN_OR_RETURN(m->phases, get_strings(c, "measure.phases", *n));
    if (m->phases.empty()) return bad_value(c, "measure.phases", *n, "at least one mark label");
  }
  if (const toml::node* n = t.get("warmup")) {
    ASSIGN_OR_RETURN(m->warmup_s, get_duration(c, "measure.warmup", *n));
  }
  if (m->role == ProcessRole::kTree && (m->warmup_s > 0 || !m->phases.empty()))
    return Status(StatusCode::kInvalidArgument,
                  "measure.warmup and measure.phases do not apply to role \"tree\" in " + c.path,
                  "they cut a process's own series", "measure a process (process = or role =)");
  return Status::ok();
}

Status parse_variant(const Ctx& c, const toml::table& t, const std::string& series, VariantSpec* v) {
  RETURN_IF_ERROR(check_keys(c, t, "variant.",
                             {"name", "description", "control", "env", "args", "predicted",
                              "baseline", "components"}));
  const toml::node* name = t.get("name");
  if (!name)
    return Status(StatusCode::kInvalidArgument, "a variant without a name" + at_line(c, t.source()),
                  "reports and components refer to variants by name", "add name = \"...\"");
  ASSIGN_OR_RETURN(v->name, get_string(c, "variant.name", *name));
  if (v->name.empty() || v->name.find_first_of(" /\t\n") != std::string::npos)
    return bad_value(c, "variant.name", *name, "a name without spaces or '/'");
  if (const toml::node* n = t.get("description")) {
    ASSIGN_OR_RETURN(v->description, get_string(c, "variant.description", *n));
  }
  if (const toml::node* n = t.get("control")) {
    if (!n->is_boolean()) return bad_value(c, "variant.control", *n, "true or false");
    v->control = *n->value<bool>();
  }
  if (const toml::node* n = t.get("env")) {
    ASSIGN_OR_RETURN(v->env, get_env(c, "variant.env", *n));
  }
  if (const toml::node* n = t.get("args")) {
    ASSIGN_OR_RETURN(v->args, get_strings(c, "variant.args", *n));
  }
  if (const toml::node* n = t.get("predicted")) {
    if (v->control)
      return Status(StatusCode::kInvalidArgument,
                    "the control '" + v->name + "' has a prediction" + at_line(c, n->source()),
                    "the control is measured against its baseline", "write baseline = ... instead");
    ASSIGN_OR_RETURN(v->predicted, get_rate(c, "variant.predicted", *n, series));
  }
  if (const toml::node* n = t.get("baseline")) {
    if (!v->control)
      return Status(StatusCode::kInvalidArgument,
                    "variant '" + v->name + "' has a baseline" + at_line(c, n->source()),
                    "only the control reproduces the baseline", "write predicted = ... instead");
    ASSIGN_OR_RETURN(double b, get_rate(c, "variant.baseline", *n, series));
    if (b <= 0) return bad_value(c, "variant.baseline", *n, "the growth rate the problem shows, above 0");
    v->baseline = b;
  }
  if (const toml::node* n = t.get("components")) {
    ASSIGN_OR_RETURN(v->components, get_strings(c, "variant.components", *n));
  }
  return Status::ok();
}

Status check_variants(const Ctx& c, const ExperimentConfig& cfg) {
  if (cfg.variants.empty())
    return Status(StatusCode::kInvalidArgument, "no variants in " + c.path,
                  "an experiment compares variants with a control",
                  "add [[variant]] tables, one of them with control = true");
  std::set<std::string> names;
  int controls = 0;
  for (const auto& v : cfg.variants) {
    if (!names.insert(v.name).second)
      return Status(StatusCode::kInvalidArgument, "two variants named '" + v.name + "' in " + c.path,
                    "reports and components refer to variants by name", "rename one");
    controls += v.control ? 1 : 0;
  }
  if (controls == 0)
    return Status(StatusCode::kInvalidArgument, "no control variant in " + c.path,
                  "every variant is measured against a control",
                  "mark the unchanged program's variant with control = true");
  if (controls > 1)
    return Status(StatusCode::kInvalidArgument, "more than one control variant in " + c.path,
                  "the effects are measured against a single control",
                  "keep control = true on one variant");
  for (const auto& v : cfg.variants) {
    if (v.components.empty()) continue;
    if (v.control)
      return Status(StatusCode::kInvalidArgument, "the control '" + v.name + "' has components in " + c.path,
                    "components describe a combined fix", "move them to the combined variant");
    if (v.components.size() < 2)
      return Status(StatusCode::kInvalidArgument, "variant '" + v.name + "' has one component in " + c.path,
                    "a combination needs at least two parts", "list each part's variant");
    std::set<std::string> seen;
    for (const auto& comp : v.components) {
      const VariantSpec* p = cfg.find(comp);
      if (!p || p->control || comp == v.name || !seen.insert(comp).second)
        return Status(StatusCode::kInvalidArgument,
                      "variant '" + v.name + "' lists component '" + comp + "' in " + c.path,
                      !p ? "there is no variant of that name"
                         : "a component must be another, non-control variant, listed once",
                      "name the variants that apply each part of the fix alone");
    }
  }
  return Status::ok();
}

}  // namespace

std::string MeasureSpec::describe() const {
  switch (role) {
    case ProcessRole::kRoot: return "root";
    case ProcessRole::kLargest: return "largest";
    case ProcessRole::kTree: return "tree";
    case ProcessRole::kChild: return "child:" + std::to_string(child_index);
    case ProcessRole::kName: return "process '" + name + "'";
  }
  return "";
}

StatusOr<MeasureSpec> parse_role(const std::string& role, MeasureSpec m) {
  if (role == "root") m.role = ProcessRole::kRoot;
  else if (role == "largest") m.role = ProcessRole::kLargest;
  else if (role == "tree") m.role = ProcessRole::kTree;
  else if (role.rfind("child:", 0) == 0) {
    int n = 0;
    std::string digits = role.substr(6);
    if (digits.empty() || digits.size() > 4 ||
        digits.find_first_not_of("0123456789") != std::string::npos || (n = std::stoi(digits)) < 1)
      return Status(StatusCode::kInvalidArgument, "bad role '" + role + "'",
                    "child:N counts the root's children from 1", "e.g. child:1");
    m.role = ProcessRole::kChild;
    m.child_index = n;
  } else {
    return Status(StatusCode::kInvalidArgument, "unknown role '" + role + "'", "",
                  "use root, largest, tree or child:N");
  }
  return m;
}

Status check_series(const MeasureSpec& m) {
  static const std::vector<std::string> kProcess = {"anon", "file", "shmem", "swap", "fds", "threads"};
  static const std::vector<std::string> kTree = {"pss", "anon", "file", "shmem", "swap", "fds", "threads"};
  const auto& known = m.role == ProcessRole::kTree ? kTree : kProcess;
  if (std::find(known.begin(), known.end(), m.series) != known.end()) return Status::ok();
  if (m.series == "pss")
    return Status(StatusCode::kInvalidArgument, "bad series 'pss'",
                  "PSS is judged for the whole tree", "use role = \"tree\" or series anon");
  return Status(StatusCode::kInvalidArgument, "unknown series '" + m.series + "'",
                "not a series leakscope judges",
                m.role == ProcessRole::kTree ? "use pss, anon, file, shmem, swap, fds or threads"
                                             : "use anon, file, shmem, swap, fds or threads");
}

const VariantSpec* ExperimentConfig::find(const std::string& name) const {
  for (const auto& v : variants)
    if (v.name == name) return &v;
  return nullptr;
}

std::vector<std::string> ExperimentConfig::command_of(const VariantSpec& v) const {
  std::vector<std::string> cmd = workload.command;
  cmd.insert(cmd.end(), v.args.begin(), v.args.end());
  return cmd;
}

std::vector<std::string> ExperimentConfig::env_of(const VariantSpec& v) const {
  std::vector<std::string> out;
  for (const auto& [k, val] : workload.env) out.push_back(k + "=" + val);
  for (const auto& [k, val] : v.env) out.push_back(k + "=" + val);
  return out;
}

std::string ExperimentConfig::run_fingerprint(const VariantSpec& v) const {
  nlohmann::json j = {{"command", command_of(v)},       {"env", env_of(v)},
                      {"cwd", workload.cwd},            {"duration_s", workload.duration_s},
                      {"mark_regex", workload.mark_regex}, {"interval", workload.interval}};
  return j.dump();
}

StatusOr<ExperimentConfig> parse_experiment(const std::string& text, const std::string& path) {
  Ctx c{path};
  toml::table root;
  try {
    root = toml::parse(text, path);
  } catch (const toml::parse_error& e) {
    return Status(StatusCode::kInvalidArgument,
                  "bad TOML in " + path + " at line " + std::to_string(e.source().begin.line) +
                      ", column " + std::to_string(e.source().begin.column),
                  std::string(e.description()), "fix the syntax there");
  }
  ExperimentConfig cfg;
  cfg.path = path;
  std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
  RETURN_IF_ERROR(check_keys(c, root, "", {"title", "repeats", "workload", "measure", "variant"}));
  if (const toml::node* n = root.get("title")) {
    ASSIGN_OR_RETURN(cfg.title, get_string(c, "title", *n));
  }
  if (const toml::node* n = root.get("repeats")) {
    if (!n->is_integer() || *n->value<int64_t>() < 1 || *n->value<int64_t>() > 1000)
      return bad_value(c, "repeats", *n, "an integer from 1 to 1000");
    cfg.repeats = static_cast<int>(*n->value<int64_t>());
  }
  const toml::node* w = root.get("workload");
  if (!w || !w->is_table())
    return Status(StatusCode::kInvalidArgument, "no [workload] table in " + path,
                  "an experiment needs the command it measures",
                  "add [workload] with command = [\"./app\", \"arg\"]");
  RETURN_IF_ERROR(parse_workload(c, *w->as_table(), &cfg.workload, dir.string()));
  if (const toml::node* m = root.get("measure")) {
    if (!m->is_table()) return bad_value(c, "measure", *m, "a table");
    RETURN_IF_ERROR(parse_measure(c, *m->as_table(), &cfg.measure));
  }
  if (const toml::node* vs = root.get("variant")) {
    const toml::array* arr = vs->as_array();
    if (!arr || !arr->is_array_of_tables()) return bad_value(c, "variant", *vs, "[[variant]] tables");
    for (const auto& item : *arr) {
      VariantSpec v;
      RETURN_IF_ERROR(parse_variant(c, *item.as_table(), cfg.measure.series, &v));
      cfg.variants.push_back(std::move(v));
    }
  }
  RETURN_IF_ERROR(check_variants(c, cfg));
  return cfg;
}

StatusOr<ExperimentConfig> load_experiment(const std::string& path) {
  std::string text;
  Status s = read_file(path, &text);
  if (!s.is_ok())
    return Status(s.code(), "cannot read experiment file " + path, s.why(),
                  "give the path of a .toml experiment file");
  return parse_experiment(text, path);
}

}  // namespace leakscope::analyze
