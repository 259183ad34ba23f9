// Synthetic heap capture over real stacks; see heap_capture_util.h.
#include "heap_capture_util.h"

#include <random>

#include "e2e_util.h"
#include "store/capture_writer.h"
#include "symbolize/dwarf_module.h"

namespace leakscope::e2e {

int64_t HeapFixture::total_live_bytes() const {
  int64_t sum = 0;
  for (const auto& [stack, bytes] : live_bytes) sum += bytes;
  return sum;
}

HeapFixture write_heap_capture(const std::string& path, bool heap, bool not_interposed) {
  HeapFixture fx;
  fx.program = testing::run_sym_known(program("sym_known"));
  store::RunInfo run;
  run.mode = "run";
  run.command = program("sym_known");
  run.argv = {run.command};
  run.start_unix_ns = 1700000000000000000LL;
  run.tick_ms = 100;
  auto w = store::CaptureWriter::create(path, run);
  if (!w.is_ok()) return fx;
  store::ProcessInfo p;
  p.pid = kHeapPid;
  p.start_ticks = 99;
  p.is_root = true;
  p.end_state = "exited";
  int64_t id = (*w)->add_process(p);
  (*w)->add_generation({id, 0, 0, "sym_known", run.command, run.command});
  fx.ticks = 120;
  for (int i = 0; i < fx.ticks; ++i)
    (*w)->add_sample(
        {id, 1000 * i, 1 << 20, 1 << 19, 1 << 19, 0, 1 << 20, 0, 1 << 20, 1, 3, 0, 0, i, 5});
  if (heap && not_interposed) {
    (*w)->add_heap_process(
        {id, "full", 0, "", "not-interposed: program defines its own malloc", 0, 0});
  } else if (heap) {
    (*w)->add_heap_process({id, "full", 0, "frame-pointer", "tracking", 12345, 0});
    for (const auto& m : fx.program.maps) {
      std::string build_id;
      if (auto dm = symbolize::DwarfModule::open(m.path, "", {}); dm.is_ok())
        build_id = (*dm)->build_id();
      (*w)->add_module({id, m.start, m.end, m.file_offset, m.path, build_id});
    }
    // Stacks, innermost first: the leak is allocated through the inlined chain.
    const auto& v = fx.program.values;
    std::map<int64_t, std::vector<uint64_t>> stacks = {
        {kLeakStack, {v.at("inline")[0], v.at("member")[0]}},
        {kStartupStack, {v.at("plain")[0]}},
        {kChurnStack, {v.at("member")[0], v.at("plain")[0]}}};
    for (const auto& [stack, pcs] : stacks)
      for (size_t d = 0; d < pcs.size(); ++d)
        (*w)->add_heap_stack_frame({id, stack, static_cast<int>(d), pcs[d]});
    std::mt19937 rng(3);
    const int64_t leak = 1000, leaked_total = leak * fx.ticks;
    const int64_t churn = 1000 * leaked_total / fx.ticks;
    std::uniform_int_distribution<int64_t> held(0, churn);
    int64_t churn_alloc = 0, churn_free = 0, churn_live = 0;
    for (int i = 0; i < fx.ticks; ++i) {
      int64_t t = 1000 * i;
      int64_t leak_live = leak * (i + 1);
      if (i == 0)
        (*w)->add_heap_site_sample(
            {id, t, kStartupStack, 10 * leaked_total, 1, 10 * leaked_total, 1, 0, 0, 0});
      (*w)->add_heap_site_sample(
          {id, t, kLeakStack, leak_live, 10 * (i + 1), leak_live, 10 * (i + 1), 0, 0, 0});
      churn_alloc += churn;
      int64_t keep = held(rng);
      churn_free += churn_live + churn - keep;
      churn_live = keep;
      (*w)->add_heap_site_sample({id, t, kChurnStack, churn_live, churn_live > 0 ? 1 : 0,
                                  churn_alloc, 1000 * (i + 1), churn_free,
                                  1000 * (i + 1) - (churn_live > 0 ? 1 : 0), 1000 * i});
      (*w)->add_heap_total({id, t, 10 * leaked_total + leak_live + churn_live, 0, 0,
                            10 * leaked_total + leak_live + churn_alloc, churn_free});
    }
    fx.live_bytes = {
        {kLeakStack, leaked_total}, {kStartupStack, 10 * leaked_total}, {kChurnStack, churn_live}};
    fx.live_blocks = {
        {kLeakStack, 10 * fx.ticks}, {kStartupStack, 1}, {kChurnStack, churn_live > 0 ? 1 : 0}};
    fx.alloc_bytes = {
        {kLeakStack, leaked_total}, {kStartupStack, 10 * leaked_total}, {kChurnStack, churn_alloc}};
    // At exit the churn site's last blocks were freed too.
    fx.unfreed_bytes = {{kLeakStack, leaked_total}, {kStartupStack, 10 * leaked_total}};
    fx.unfreed_blocks = {{kLeakStack, 10 * fx.ticks}, {kStartupStack, 1}};
    for (const auto& [stack, bytes] : fx.unfreed_bytes)
      (*w)->add_heap_unfreed({id, stack, bytes, fx.unfreed_blocks[stack], true});
  }
  p.id = id;
  p.exit_ms = 1000 * fx.ticks;
  p.exit_code = 0;
  (*w)->update_process(p);
  (void)(*w)->finish(1000 * fx.ticks, 0, -1);
  return fx;
}

}  // namespace leakscope::e2e
