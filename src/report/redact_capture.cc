// Priming a Redactor from a capture; see redact_capture.h.
#include "report/redact_capture.h"

#include <pwd.h>
#include <unistd.h>

#include <set>
#include <vector>

namespace leakscope::report {
namespace {

std::string user_name(uid_t uid) {
  struct passwd pw {};
  struct passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) != 0 || !found) return "";
  return pw.pw_name ? pw.pw_name : "";
}

}  // namespace

Redactor make_capture_redactor(const store::CaptureMeta& meta, bool enabled) {
  Redactor r(enabled);
  if (!enabled) return r;
  r.add_host(meta.run.host);
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0) r.add_host(host);
  std::set<int64_t> uids;
  for (const auto& p : meta.processes)
    if (p.uid >= 1000) uids.insert(p.uid);
  for (int64_t uid : uids) r.add_user(user_name(static_cast<uid_t>(uid)));
  if (geteuid() >= 1000) r.add_user(user_name(geteuid()));
  r.learn(meta.run.command);
  for (const auto& a : meta.run.argv) r.learn(a);
  r.learn(meta.run.cwd);
  for (const auto& g : meta.generations) {
    r.learn(g.exe);
    r.learn(g.cmdline);
  }
  for (const auto& m : meta.marks) r.learn(m.text);
  for (const auto& n : meta.notes) r.learn(n.text);
  return r;
}

void redact_verdict(analyze::Verdict* v, Redactor& r) {
  v->capture = r.apply(v->capture);
  for (auto& p : v->processes) {
    p.comm = r.apply(p.comm);
    p.cmdline = r.apply(p.cmdline);
    for (auto& e : p.memory_class.evidence) e = r.apply(e);
  }
  for (auto& res : v->tree.residence) res.comm = r.apply(res.comm);
  for (auto& ph : v->phases) {
    ph.label = r.apply(ph.label);
    for (auto& g : ph.growth) g.comm = r.apply(g.comm);
  }
  for (auto& e : v->evidence) e.text = r.apply(e.text);
  for (auto& n : v->notes) n = r.apply(n);
}

}  // namespace leakscope::report
