// Columnar reads; see series_reader.h.
#include "store/series_reader.h"

namespace leakscope::store {
namespace {

// Steps `st` and appends column i of each row to *cols[i]. The queries map NULL to -1 in
// SQL (IFNULL), so a plain integer read per cell suffices: on 3.6 M rows the per-cell type
// check was a sixth of the read time.
Status read_columns(Statement& st, std::vector<std::vector<int64_t>*> cols) {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    for (size_t i = 0; i < cols.size(); ++i) cols[i]->push_back(st.column_int(static_cast<int>(i)));
  }
  return Status::ok();
}

}  // namespace

StatusOr<SampleColumns> read_sample_columns(Database& db, int64_t process_id, int64_t max_t_ms) {
  ASSIGN_OR_RETURN(Statement st,
                   db.prepare("SELECT t_ms, IFNULL(rss,-1), IFNULL(rss_anon,-1), IFNULL(rss_file,-1),"
                              " IFNULL(rss_shmem,-1), IFNULL(vm_data,-1), IFNULL(vm_swap,-1),"
                              " IFNULL(threads,-1), IFNULL(fds,-1), IFNULL(cpu_ms,-1) FROM sample"
                              " WHERE process_id=? AND t_ms<=? ORDER BY t_ms"));
  st.bind(1, process_id).bind(2, max_t_ms);
  SampleColumns c;
  RETURN_IF_ERROR(read_columns(st, {&c.t_ms, &c.rss, &c.rss_anon, &c.rss_file, &c.rss_shmem,
                                    &c.vm_data, &c.vm_swap, &c.threads, &c.fds, &c.cpu_ms}));
  return c;
}

StatusOr<DetailColumns> read_detail_columns(Database& db, int64_t process_id, int64_t max_t_ms) {
  ASSIGN_OR_RETURN(Statement st,
                   db.prepare("SELECT t_ms, IFNULL(pss,-1), IFNULL(pss_anon,-1), IFNULL(pss_file,-1),"
                              " IFNULL(pss_shmem,-1), IFNULL(private_dirty,-1), IFNULL(swap_pss,-1)"
                              " FROM detail WHERE process_id=? AND t_ms<=? ORDER BY t_ms"));
  st.bind(1, process_id).bind(2, max_t_ms);
  DetailColumns c;
  RETURN_IF_ERROR(read_columns(st, {&c.t_ms, &c.pss, &c.pss_anon, &c.pss_file, &c.pss_shmem,
                                    &c.private_dirty, &c.swap_pss}));
  return c;
}

}  // namespace leakscope::store
