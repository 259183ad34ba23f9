// A writer for pprof's profile.proto (perftools.profiles.Profile), the format `go tool
// pprof`, Pyroscope and speedscope read. It encodes the protobuf wire format directly
// (varints and length-delimited fields: the message is small and flat), so leakscope needs
// no generated code and no protobuf runtime; tests decode the output with protoc against
// the upstream profile.proto. Field numbers follow that file.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "base/status.h"

namespace leakscope::report {

struct PprofMapping {
  uint64_t start = 0, limit = 0, file_offset = 0;
  std::string filename, build_id;
  bool symbolised = false;  // functions, file names, line numbers and inline frames present
};

struct PprofLine {
  std::string function;
  std::string file;
  int64_t line = 0;
};

struct PprofLabel {
  std::string key;
  std::string str;  // a string label when not empty,
  int64_t num = 0;  // else a number
};

class PprofBuilder {
 public:
  // Sample types in value order, e.g. {"alloc_space", "bytes"}.
  void add_sample_type(const std::string& type, const std::string& unit);
  void set_default_sample_type(const std::string& type);
  void set_period(const std::string& type, const std::string& unit, int64_t period);
  void set_time(int64_t time_nanos, int64_t duration_nanos);
  void add_comment(const std::string& text);

  // Returns the mapping id (1-based).
  uint64_t add_mapping(const PprofMapping& m);
  // A location at `address` in mapping `mapping_id` (0: none), its lines innermost first
  // (inlined callees before the function they were inlined into). Returns its id.
  uint64_t add_location(uint64_t mapping_id, uint64_t address, const std::vector<PprofLine>& lines);
  // Leaf first; one value per sample type.
  void add_sample(const std::vector<uint64_t>& location_ids, const std::vector<int64_t>& values,
                  const std::vector<PprofLabel>& labels = {});

  // The serialized Profile message (not compressed).
  std::string serialize() const;

 private:
  int64_t intern(const std::string& s);
  uint64_t function_id(const std::string& name, const std::string& file);

  std::vector<std::string> strings_{""};
  std::map<std::string, int64_t> string_index_{{"", 0}};
  std::map<std::pair<int64_t, int64_t>, uint64_t> functions_;  // (name, file) -> id
  std::string sample_types_, samples_, mappings_, locations_, functions_msg_, comments_;
  std::string period_type_;
  int64_t period_ = 0, time_nanos_ = 0, duration_nanos_ = 0, default_sample_type_ = 0;
  size_t value_count_ = 0;
  uint64_t next_mapping_ = 1, next_location_ = 1;
};

// gzip (RFC 1952) of `data`, as pprof expects profiles on disk.
StatusOr<std::string> gzip_compress(const std::string& data);

}  // namespace leakscope::report
