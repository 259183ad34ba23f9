// profile.proto wire encoding and gzip; see pprof_writer.h.
#include "report/pprof_writer.h"

#include <zlib.h>

namespace leakscope::report {
namespace {

enum WireType { kVarint = 0, kLengthDelimited = 2 };

void put_varint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void put_key(std::string* out, int field, WireType type) {
  put_varint(out, (static_cast<uint64_t>(field) << 3) | type);
}

// Scalars equal to their default are left out, as proto3 encoders do.
void put_uint(std::string* out, int field, uint64_t v) {
  if (v == 0) return;
  put_key(out, field, kVarint);
  put_varint(out, v);
}

// int64 is the two's complement as a varint (ten bytes when negative).
void put_int(std::string* out, int field, int64_t v) {
  put_uint(out, field, static_cast<uint64_t>(v));
}

void put_bytes(std::string* out, int field, const std::string& bytes) {
  put_key(out, field, kLengthDelimited);
  put_varint(out, bytes.size());
  out->append(bytes);
}

// Repeated scalars, packed (the proto3 default encoding).
template <typename T>
void put_packed(std::string* out, int field, const std::vector<T>& values) {
  if (values.empty()) return;
  std::string body;
  for (T v : values) put_varint(&body, static_cast<uint64_t>(v));
  put_bytes(out, field, body);
}

std::string value_type(int64_t type, int64_t unit) {
  std::string m;
  put_int(&m, 1, type);
  put_int(&m, 2, unit);
  return m;
}

}  // namespace

int64_t PprofBuilder::intern(const std::string& s) {
  auto it = string_index_.find(s);
  if (it != string_index_.end()) return it->second;
  auto id = static_cast<int64_t>(strings_.size());
  strings_.push_back(s);
  string_index_.emplace(s, id);
  return id;
}

// Strings are interned in a fixed order (arguments are evaluated in any order), so the
// table reads in order of first use.
void PprofBuilder::add_sample_type(const std::string& type, const std::string& unit) {
  int64_t t = intern(type);
  put_bytes(&sample_types_, 1, value_type(t, intern(unit)));
  ++value_count_;
}

void PprofBuilder::set_default_sample_type(const std::string& type) {
  default_sample_type_ = intern(type);
}

void PprofBuilder::set_period(const std::string& type, const std::string& unit, int64_t period) {
  int64_t t = intern(type);
  period_type_ = value_type(t, intern(unit));
  period_ = period;
}

void PprofBuilder::set_time(int64_t time_nanos, int64_t duration_nanos) {
  time_nanos_ = time_nanos;
  duration_nanos_ = duration_nanos;
}

void PprofBuilder::add_comment(const std::string& text) {
  put_varint(&comments_, static_cast<uint64_t>(intern(text)));
}

uint64_t PprofBuilder::add_mapping(const PprofMapping& m) {
  uint64_t id = next_mapping_++;
  std::string msg;
  put_uint(&msg, 1, id);
  put_uint(&msg, 2, m.start);
  put_uint(&msg, 3, m.limit);
  put_uint(&msg, 4, m.file_offset);
  put_int(&msg, 5, intern(m.filename));
  put_int(&msg, 6, intern(m.build_id));
  for (int field = 7; field <= 10; ++field) put_uint(&msg, field, m.symbolised ? 1 : 0);
  put_bytes(&mappings_, 3, msg);
  return id;
}

uint64_t PprofBuilder::function_id(const std::string& name, const std::string& file) {
  int64_t n = intern(name);
  auto key = std::make_pair(n, intern(file));
  auto it = functions_.find(key);
  if (it != functions_.end()) return it->second;
  uint64_t id = functions_.size() + 1;
  functions_.emplace(key, id);
  std::string msg;
  put_uint(&msg, 1, id);
  put_int(&msg, 2, key.first);
  put_int(&msg, 3, key.first);
  put_int(&msg, 4, key.second);
  put_bytes(&functions_msg_, 5, msg);
  return id;
}

uint64_t PprofBuilder::add_location(uint64_t mapping_id, uint64_t address,
                                    const std::vector<PprofLine>& lines) {
  uint64_t id = next_location_++;
  std::string msg;
  put_uint(&msg, 1, id);
  put_uint(&msg, 2, mapping_id);
  put_uint(&msg, 3, address);
  for (const auto& l : lines) {
    std::string line;
    put_uint(&line, 1, function_id(l.function, l.file));
    put_int(&line, 2, l.line);
    put_bytes(&msg, 4, line);
  }
  put_bytes(&locations_, 4, msg);
  return id;
}

void PprofBuilder::add_sample(const std::vector<uint64_t>& location_ids,
                              const std::vector<int64_t>& values,
                              const std::vector<PprofLabel>& labels) {
  std::string msg;
  put_packed(&msg, 1, location_ids);
  std::vector<int64_t> padded = values;
  padded.resize(value_count_, 0);
  put_packed(&msg, 2, padded);
  for (const auto& l : labels) {
    std::string label;
    put_int(&label, 1, intern(l.key));
    if (!l.str.empty())
      put_int(&label, 2, intern(l.str));
    else
      put_int(&label, 3, l.num);
    put_bytes(&msg, 3, label);
  }
  put_bytes(&samples_, 2, msg);
}

std::string PprofBuilder::serialize() const {
  std::string out = sample_types_ + samples_ + mappings_ + locations_ + functions_msg_;
  for (const auto& s : strings_) put_bytes(&out, 6, s);
  put_int(&out, 9, time_nanos_);
  put_int(&out, 10, duration_nanos_);
  if (!period_type_.empty()) put_bytes(&out, 11, period_type_);
  put_int(&out, 12, period_);
  if (!comments_.empty()) put_bytes(&out, 13, comments_);
  put_int(&out, 14, default_sample_type_);
  return out;
}

StatusOr<std::string> gzip_compress(const std::string& data) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer rather than a zlib one.
  if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return Status(StatusCode::kInternal, "cannot start gzip compression", zs.msg ? zs.msg : "");
  std::string out;
  out.resize(deflateBound(&zs, data.size()) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END)
    return Status(StatusCode::kInternal, "gzip compression failed",
                  "deflate returned " + std::to_string(rc));
  out.resize(produced);
  return out;
}

}  // namespace leakscope::report
