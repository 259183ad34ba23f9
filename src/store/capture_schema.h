// The capture file's SQL schema (version kCaptureVersion). Kept in one place so the writer,
// the reader and docs/capture-format.md agree. Bump kCaptureVersion for any change a
// reader of the previous version could misread, and teach the reader the old versions.
#pragma once

namespace leakscope::store {

inline constexpr const char* kCaptureSchemaSql = R"sql(
CREATE TABLE meta(
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE run(
  id INTEGER PRIMARY KEY CHECK (id = 1),
  mode TEXT NOT NULL,
  command TEXT NOT NULL,
  argv_json TEXT NOT NULL,
  cwd TEXT,
  host TEXT,
  kernel TEXT,
  leakscope_version TEXT,
  start_unix_ns INTEGER NOT NULL,
  start_utc TEXT NOT NULL,
  start_boot_ns INTEGER,
  tick_ms INTEGER NOT NULL,
  detail_min_ms INTEGER NOT NULL,
  page_size INTEGER,
  clock_ticks INTEGER,
  mem_total INTEGER,
  cgroup_mem_max INTEGER,
  nofile_limit INTEGER,
  options_json TEXT NOT NULL,
  end_ms INTEGER,
  exit_code INTEGER,
  exit_signal INTEGER
);
CREATE TABLE process(
  id INTEGER PRIMARY KEY,
  pid INTEGER NOT NULL,
  start_ticks INTEGER NOT NULL,
  start_ms INTEGER,
  parent_id INTEGER REFERENCES process(id),
  ppid INTEGER,
  uid INTEGER,
  first_seen_ms INTEGER NOT NULL,
  last_seen_ms INTEGER,
  exit_ms INTEGER,
  end_state TEXT NOT NULL DEFAULT 'running',
  exit_code INTEGER,
  exit_signal INTEGER,
  is_root INTEGER NOT NULL DEFAULT 0,
  UNIQUE (pid, start_ticks)
);
CREATE TABLE exec_generation(
  process_id INTEGER NOT NULL REFERENCES process(id),
  generation INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  comm TEXT,
  exe TEXT,
  cmdline TEXT,
  PRIMARY KEY (process_id, generation)
);
CREATE TABLE sample(
  process_id INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  rss INTEGER,
  rss_anon INTEGER,
  rss_file INTEGER,
  rss_shmem INTEGER,
  vm_data INTEGER,
  vm_swap INTEGER,
  vm_hwm INTEGER,
  threads INTEGER,
  fds INTEGER,
  minflt INTEGER,
  majflt INTEGER,
  cpu_ms INTEGER,
  read_us INTEGER,
  PRIMARY KEY (process_id, t_ms)
) WITHOUT ROWID;
CREATE TABLE detail(
  process_id INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  source TEXT NOT NULL,
  rss INTEGER,
  pss INTEGER,
  pss_anon INTEGER,
  pss_file INTEGER,
  pss_shmem INTEGER,
  private_clean INTEGER,
  private_dirty INTEGER,
  shared_clean INTEGER,
  shared_dirty INTEGER,
  swap INTEGER,
  swap_pss INTEGER,
  read_us INTEGER,
  PRIMARY KEY (process_id, t_ms)
) WITHOUT ROWID;
CREATE TABLE maps_summary(
  process_id INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  heap_bytes INTEGER,
  anon_mappings INTEGER,
  anon_bytes INTEGER,
  arena_like INTEGER,
  file_mappings INTEGER,
  shmem_bytes INTEGER,
  PRIMARY KEY (process_id, t_ms)
) WITHOUT ROWID;
CREATE TABLE mark(
  id INTEGER PRIMARY KEY,
  t_ms INTEGER NOT NULL,
  label TEXT NOT NULL,
  source TEXT NOT NULL,
  text TEXT
);
CREATE TABLE note(
  id INTEGER PRIMARY KEY,
  t_ms INTEGER,
  process_id INTEGER,
  kind TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE TABLE recorder_stat(
  t_ms INTEGER PRIMARY KEY,
  cpu_us INTEGER NOT NULL,
  wall_us INTEGER NOT NULL,
  processes INTEGER NOT NULL,
  cheap_read_us INTEGER NOT NULL,
  detail_read_us INTEGER NOT NULL
);
CREATE TABLE column_source(
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  source TEXT NOT NULL,
  PRIMARY KEY (table_name, column_name)
);
INSERT INTO column_source VALUES
  ('sample','rss','/proc/PID/statm resident (status VmRSS on status ticks)'),
  ('sample','rss_anon','/proc/PID/statm resident-shared (status RssAnon on status ticks)'),
  ('sample','rss_file','/proc/PID/status RssFile (status ticks only, NULL between)'),
  ('sample','rss_shmem','/proc/PID/status RssShmem (status ticks only, NULL between)'),
  ('sample','vm_data','/proc/PID/statm data (status VmData on status ticks)'),
  ('sample','vm_swap','/proc/PID/status VmSwap (status ticks only, NULL between)'),
  ('sample','vm_hwm','/proc/PID/status VmHWM (status ticks only, NULL between)'),
  ('sample','threads','/proc/PID/stat num_threads'),
  ('sample','fds','/proc/PID/fd entry count (stat() size since Linux 6.2, else listing)'),
  ('sample','minflt','/proc/PID/stat minflt'),
  ('sample','majflt','/proc/PID/stat majflt'),
  ('sample','cpu_ms','/proc/PID/stat utime+stime'),
  ('sample','read_us','cost of this row''s reads'),
  ('maps_summary','*','/proc/PID/maps (address ranges only: no page walk)'),
  ('detail','*','/proc/PID/smaps_rollup, or /proc/PID/smaps summed when source = ''smaps''');
-- Heap tracking (`run --heap`): per-stack aggregates, never raw events.
CREATE TABLE heap_process(
  process_id INTEGER PRIMARY KEY,
  mode TEXT NOT NULL,
  sample_interval INTEGER NOT NULL DEFAULT 0,
  unwinder TEXT,
  status TEXT NOT NULL,
  events INTEGER NOT NULL DEFAULT 0,
  lost_events INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE heap_stack(
  process_id INTEGER NOT NULL,
  stack_id INTEGER NOT NULL,
  pcs BLOB NOT NULL,
  PRIMARY KEY (process_id, stack_id)
) WITHOUT ROWID;
CREATE TABLE heap_site_sample(
  process_id INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  stack_id INTEGER NOT NULL,
  live_bytes INTEGER NOT NULL,
  live_blocks INTEGER NOT NULL,
  alloc_bytes INTEGER NOT NULL,
  alloc_blocks INTEGER NOT NULL,
  free_bytes INTEGER NOT NULL,
  free_blocks INTEGER NOT NULL,
  short_lived_blocks INTEGER NOT NULL,
  PRIMARY KEY (process_id, stack_id, t_ms)
) WITHOUT ROWID;
CREATE TABLE heap_total(
  process_id INTEGER NOT NULL,
  t_ms INTEGER NOT NULL,
  live_bytes INTEGER NOT NULL,
  live_blocks INTEGER NOT NULL,
  mmap_live_bytes INTEGER NOT NULL,
  alloc_bytes INTEGER NOT NULL,
  free_bytes INTEGER NOT NULL,
  PRIMARY KEY (process_id, t_ms)
) WITHOUT ROWID;
CREATE TABLE heap_unfreed(
  process_id INTEGER NOT NULL,
  stack_id INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  blocks INTEGER NOT NULL,
  at_exit INTEGER NOT NULL,
  PRIMARY KEY (process_id, stack_id)
) WITHOUT ROWID;
CREATE TABLE module(
  process_id INTEGER NOT NULL,
  start INTEGER NOT NULL,
  end INTEGER NOT NULL,
  file_offset INTEGER NOT NULL,
  path TEXT NOT NULL,
  build_id TEXT,
  PRIMARY KEY (process_id, start)
) WITHOUT ROWID;
CREATE TABLE frame_symbol(
  process_id INTEGER NOT NULL,
  pc INTEGER NOT NULL,
  inline_depth INTEGER NOT NULL,
  function TEXT,
  file TEXT,
  line INTEGER,
  module TEXT,
  PRIMARY KEY (process_id, pc, inline_depth)
) WITHOUT ROWID;
-- Friendly views for `sqlite3 cap.db`.
CREATE VIEW process_name AS
  SELECT p.id AS process_id, p.pid, g.comm, g.cmdline
  FROM process p JOIN exec_generation g ON g.process_id = p.id
  WHERE g.generation = (SELECT MAX(generation) FROM exec_generation WHERE process_id = p.id);
CREATE VIEW series AS
  SELECT n.pid, n.comm, s.t_ms / 1000.0 AS t_s, s.rss, s.rss_anon, s.rss_file, s.rss_shmem,
         s.vm_swap, s.threads, s.fds, s.cpu_ms
  FROM sample s JOIN process_name n ON n.process_id = s.process_id;
CREATE VIEW pss_series AS
  SELECT n.pid, n.comm, d.t_ms / 1000.0 AS t_s, d.pss, d.pss_anon, d.pss_file, d.pss_shmem,
         d.swap_pss, d.source
  FROM detail d JOIN process_name n ON n.process_id = d.process_id;
)sql";

}  // namespace leakscope::store
