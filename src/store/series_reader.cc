// Columnar reads; see series_reader.h.
#include "store/series_reader.h"

namespace leakscope::store {
namespace {

// Steps `st` and appends column i of each row to *cols[i].
Status read_columns(Statement& st, std::vector<std::vector<int64_t>*> cols) {
  for (;;) {
    ASSIGN_OR_RETURN(bool row, st.step());
    if (!row) break;
    for (size_t i = 0; i < cols.size(); ++i)
      cols[i]->push_back(st.column_int_or_missing(static_cast<int>(i)));
  }
  return Status::ok();
}

}  // namespace

StatusOr<SampleColumns> read_sample_columns(Database& db, int64_t process_id, int64_t max_t_ms) {
  ASSIGN_OR_RETURN(Statement st,
                   db.prepare("SELECT t_ms, rss, rss_anon, rss_file, rss_shmem, vm_data, vm_swap,"
                              " threads, fds, cpu_ms FROM sample WHERE process_id=? AND t_ms<=?"
                              " ORDER BY t_ms"));
  st.bind(1, process_id).bind(2, max_t_ms);
  SampleColumns c;
  RETURN_IF_ERROR(read_columns(st, {&c.t_ms, &c.rss, &c.rss_anon, &c.rss_file, &c.rss_shmem,
                                    &c.vm_data, &c.vm_swap, &c.threads, &c.fds, &c.cpu_ms}));
  return c;
}

StatusOr<DetailColumns> read_detail_columns(Database& db, int64_t process_id, int64_t max_t_ms) {
  ASSIGN_OR_RETURN(Statement st,
                   db.prepare("SELECT t_ms, pss, pss_anon, pss_file, pss_shmem, private_dirty,"
                              " swap_pss FROM detail WHERE process_id=? AND t_ms<=? ORDER BY t_ms"));
  st.bind(1, process_id).bind(2, max_t_ms);
  DetailColumns c;
  RETURN_IF_ERROR(read_columns(st, {&c.t_ms, &c.pss, &c.pss_anon, &c.pss_file, &c.pss_shmem,
                                    &c.private_dirty, &c.swap_pss}));
  return c;
}

}  // namespace leakscope::store
