// `leakscope sites` output: the ranked call sites of each process for people (rank, rate
// with its interval per minute, live at end, total allocated, short-lived share and the top
// frames of the symbolised stack) and as JSON; and the at-exit view, which lists what was
// never freed per stack like valgrind's leak summary.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analyze/heap_sites.h"
#include "analyze/heap_symbols.h"
#include "report/heap_stacks.h"
#include "store/capture_reader.h"
#include "store/heap_reader.h"

namespace leakscope::report {

struct SitesView {
  std::string capture;
  const store::CaptureMeta* meta = nullptr;
  const store::HeapData* heap = nullptr;
  std::vector<analyze::ProcessSites> processes;
  analyze::SiteGrouping grouping = analyze::SiteGrouping::kStack;
  analyze::SymbolCacheReport symbols;
  size_t top = 10;    // sites per process; 0 = all
  size_t frames = 6;  // frames shown per site in text
  bool at_exit = false;
};

std::string render_sites_text(const SitesView& view);
nlohmann::json sites_to_json(const SitesView& view);

}  // namespace leakscope::report
