// Cached CFI unwinding rules (x86-64). For a return address, the rule that takes a frame to
// its caller is almost always "CFA = rsp or rbp + N, return address at CFA - 8, rbp either
// untouched or saved at CFA + k". It is read once per return address from the object's
// .eh_frame — found with _dl_find_object (lock-free) and its .eh_frame_hdr search table —
// by running the CIE's and FDE's call-frame instructions up to that address, and kept in a
// process-wide lock-free table; unwinding a frame is then a lookup and two loads. Anything
// the rule cannot express (a CFA expression, a signal frame, a return address kept
// elsewhere) is reported as unsupported and the caller falls back to libgcc's unwinder.
#include <dlfcn.h>
#include <string.h>

#include "preload/preload.h"

extern "C" int _dl_find_object(void* address, struct dl_find_object* result) __attribute__((weak));

namespace leakscope::preload {
namespace {

constexpr int kRegRbp = 6, kRegRsp = 7, kRegRa = 16;

// DWARF pointer encodings (DW_EH_PE_*).
constexpr uint8_t kPeOmit = 0xff, kPeAbsptr = 0x00, kPeUleb = 0x01, kPeUdata2 = 0x02,
                  kPeUdata4 = 0x03, kPeUdata8 = 0x04, kPeSleb = 0x09, kPeSdata2 = 0x0a,
                  kPeSdata4 = 0x0b, kPeSdata8 = 0x0c, kPePcrel = 0x10, kPeDatarel = 0x30,
                  kPeIndirect = 0x80;

struct Reader {
  const uint8_t* p;
  const uint8_t* end;
  bool ok = true;

  uint8_t u8() {
    if (p >= end) return ok = false, 0;
    return *p++;
  }
  uint64_t uleb() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = u8();
      v |= uint64_t{b & 0x7fU} << shift;
      if (!(b & 0x80)) return v;
    }
    ok = false;
    return v;
  }
  int64_t sleb() {
    int64_t v = 0;
    int shift = 0;
    uint8_t b;
    do {
      b = u8();
      v |= int64_t{b & 0x7f} << shift;
      shift += 7;
    } while ((b & 0x80) && shift < 64);
    if (shift < 64 && (b & 0x40)) v |= -(int64_t{1} << shift);
    return v;
  }
  template <typename T>
  T fixed() {
    T v{};
    if (p + sizeof(T) > end) return ok = false, v;
    memcpy(&v, p, sizeof(T));
    p += sizeof(T);
    return v;
  }
  // An encoded pointer; datarel is relative to `data_base` (the .eh_frame_hdr).
  uint64_t pointer(uint8_t enc, uint64_t data_base) {
    if (enc == kPeOmit) return 0;
    uint64_t at = reinterpret_cast<uint64_t>(p);
    uint64_t v;
    switch (enc & 0x0f) {
      case kPeAbsptr: v = fixed<uint64_t>(); break;
      case kPeUleb: v = uleb(); break;
      case kPeUdata2: v = fixed<uint16_t>(); break;
      case kPeUdata4: v = fixed<uint32_t>(); break;
      case kPeUdata8: v = fixed<uint64_t>(); break;
      case kPeSleb: v = static_cast<uint64_t>(sleb()); break;
      case kPeSdata2: v = static_cast<uint64_t>(int64_t{fixed<int16_t>()}); break;
      case kPeSdata4: v = static_cast<uint64_t>(int64_t{fixed<int32_t>()}); break;
      case kPeSdata8: v = static_cast<uint64_t>(fixed<int64_t>()); break;
      default: ok = false; return 0;
    }
    switch (enc & 0x70) {
      case 0: break;
      case kPePcrel: v += at; break;
      case kPeDatarel: v += data_base; break;
      default: ok = false; return 0;
    }
    if (enc & kPeIndirect) v = *reinterpret_cast<const uint64_t*>(v);
    return v;
  }
};

// Where a register's value in the caller comes from.
enum class Loc : uint8_t { kSame, kAtCfa, kOther };
struct RegRule {
  Loc loc = Loc::kSame;
  int64_t off = 0;
};
struct CfiState {
  int cfa_reg = kRegRsp;
  int64_t cfa_off = 8;
  RegRule rbp, ra;
  bool ra_undefined = false;
  bool unsupported = false;
};

struct Cie {
  uint64_t code_align = 1;
  int64_t data_align = -8;
  uint64_t ra_reg = kRegRa;
  uint8_t fde_enc = kPeAbsptr;
  bool has_aug_data = false;
  bool signal_frame = false;
  const uint8_t* insns = nullptr;
  const uint8_t* end = nullptr;
};

// Length-prefixed entry at p: sets *body (after the length) and returns its end.
const uint8_t* entry_bounds(const uint8_t* p, const uint8_t** body) {
  uint32_t len32;
  memcpy(&len32, p, 4);
  if (len32 == 0xffffffffU) {
    uint64_t len64;
    memcpy(&len64, p + 4, 8);
    *body = p + 12;
    return *body + len64;
  }
  *body = p + 4;
  return *body + len32;
}

bool parse_cie(const uint8_t* cie, Cie* out) {
  const uint8_t* body;
  const uint8_t* end = entry_bounds(cie, &body);
  Reader r{body + 4, end};  // skip the CIE id
  uint8_t version = r.u8();
  const char* aug = reinterpret_cast<const char*>(r.p);
  size_t aug_len = strnlen(aug, static_cast<size_t>(end - r.p));
  r.p += aug_len + 1;
  out->code_align = r.uleb();
  out->data_align = r.sleb();
  out->ra_reg = version == 1 ? r.u8() : r.uleb();
  const uint8_t* aug_end = nullptr;
  for (size_t i = 0; i < aug_len && r.ok; ++i) {
    char c = aug[i];
    if (i == 0 && c == 'z') {
      uint64_t n = r.uleb();
      aug_end = r.p + n;
      out->has_aug_data = true;
    } else if (c == 'R') {
      out->fde_enc = r.u8();
    } else if (c == 'P') {
      uint8_t enc = r.u8();
      r.pointer(enc, 0);
    } else if (c == 'L') {
      r.u8();
    } else if (c == 'S') {
      out->signal_frame = true;
    } else if (c == 'B' || c == 'G') {
      // AArch64 / MTE markers: nothing to read
    } else {
      return false;  // an augmentation we do not know: cannot trust the layout
    }
  }
  if (aug_end) r.p = aug_end;
  out->insns = r.p;
  out->end = end;
  return r.ok && out->ra_reg == kRegRa;
}

void set_rule(CfiState* s, uint64_t reg, Loc loc, int64_t off) {
  if (reg == kRegRbp) s->rbp = {loc, off};
  else if (reg == kRegRa) s->ra = {loc, off};
}

// Runs call-frame instructions from `r` until the location passes `target`.
void run_cfi(Reader r, const Cie& cie, uint64_t loc, uint64_t target, CfiState* s,
             const CfiState& initial) {
  CfiState stack[8];
  int depth = 0;
  while (r.ok && r.p < r.end && loc <= target) {
    uint8_t op = r.u8();
    uint8_t low = op & 0x3f;
    switch (op & 0xc0) {
      case 0x40: loc += low * cie.code_align; continue;                          // advance_loc
      case 0x80: set_rule(s, low, Loc::kAtCfa, static_cast<int64_t>(r.uleb()) * cie.data_align); continue;
      case 0xc0:                                                                 // restore
        if (low == kRegRbp) s->rbp = initial.rbp;
        if (low == kRegRa) s->ra = initial.ra;
        continue;
    }
    switch (op) {
      case 0x00: break;                                                      // nop
      case 0x01: loc = r.pointer(cie.fde_enc, 0); break;                      // set_loc
      case 0x02: loc += r.u8() * cie.code_align; break;                       // advance_loc1
      case 0x03: loc += r.fixed<uint16_t>() * cie.code_align; break;          // advance_loc2
      case 0x04: loc += r.fixed<uint32_t>() * cie.code_align; break;          // advance_loc4
      case 0x05: {                                                           // offset_extended
        uint64_t reg = r.uleb();
        set_rule(s, reg, Loc::kAtCfa, static_cast<int64_t>(r.uleb()) * cie.data_align);
        break;
      }
      case 0x06: {                                                           // restore_extended
        uint64_t reg = r.uleb();
        if (reg == kRegRbp) s->rbp = initial.rbp;
        if (reg == kRegRa) s->ra = initial.ra;
        break;
      }
      case 0x07: {                                                           // undefined
        uint64_t reg = r.uleb();
        if (reg == kRegRa) s->ra_undefined = true;
        else set_rule(s, reg, Loc::kOther, 0);
        break;
      }
      case 0x08: set_rule(s, r.uleb(), Loc::kSame, 0); break;                 // same_value
      case 0x09: {                                                           // register
        uint64_t reg = r.uleb();
        r.uleb();
        set_rule(s, reg, Loc::kOther, 0);
        break;
      }
      case 0x0a:                                                             // remember_state
        if (depth < 8) stack[depth++] = *s;
        else s->unsupported = true;
        break;
      case 0x0b:                                                             // restore_state
        if (depth > 0) {
          bool undef = s->ra_undefined;
          *s = stack[--depth];
          s->ra_undefined = undef || s->ra_undefined;
        } else {
          s->unsupported = true;
        }
        break;
      case 0x0c: s->cfa_reg = static_cast<int>(r.uleb()); s->cfa_off = static_cast<int64_t>(r.uleb()); break;
      case 0x0d: s->cfa_reg = static_cast<int>(r.uleb()); break;              // def_cfa_register
      case 0x0e: s->cfa_off = static_cast<int64_t>(r.uleb()); break;          // def_cfa_offset
      case 0x0f: s->unsupported = true; return;                              // def_cfa_expression
      case 0x10:                                                             // expression
      case 0x16: {                                                           // val_expression
        uint64_t reg = r.uleb();
        uint64_t n = r.uleb();
        r.p += n;
        if (reg == kRegRbp || reg == kRegRa) set_rule(s, reg, Loc::kOther, 0);
        break;
      }
      case 0x11: {                                                           // offset_extended_sf
        uint64_t reg = r.uleb();
        set_rule(s, reg, Loc::kAtCfa, r.sleb() * cie.data_align);
        break;
      }
      case 0x12:                                                             // def_cfa_sf
        s->cfa_reg = static_cast<int>(r.uleb());
        s->cfa_off = r.sleb() * cie.data_align;
        break;
      case 0x13: s->cfa_off = r.sleb() * cie.data_align; break;               // def_cfa_offset_sf
      case 0x14:                                                             // val_offset
      case 0x15: {                                                           // val_offset_sf
        uint64_t reg = r.uleb();
        if (op == 0x14) r.uleb();
        else r.sleb();
        set_rule(s, reg, Loc::kOther, 0);
        break;
      }
      case 0x2e: r.uleb(); break;                                            // GNU_args_size
      case 0x2f: {                                                           // GNU_negative_offset_extended
        uint64_t reg = r.uleb();
        set_rule(s, reg, Loc::kAtCfa, -static_cast<int64_t>(r.uleb()) * cie.data_align);
        break;
      }
      default:
        s->unsupported = true;
        return;
    }
  }
}

// The FDE covering `pc` in the object whose .eh_frame_hdr is `hdr`, or nullptr.
const uint8_t* find_fde(const uint8_t* hdr, uint64_t pc) {
  if (hdr == nullptr || hdr[0] != 1) return nullptr;
  Reader r{hdr + 4, hdr + (1 << 30)};
  uint64_t base = reinterpret_cast<uint64_t>(hdr);
  r.pointer(hdr[1], base);  // eh_frame_ptr
  uint64_t count = r.pointer(hdr[2], base);
  if (!r.ok || hdr[3] != (kPeDatarel | kPeSdata4) || count == 0) return nullptr;
  const auto* table = reinterpret_cast<const int32_t*>(r.p);  // (initial_loc, fde) pairs
  uint64_t lo = 0, hi = count;
  while (hi - lo > 1) {
    uint64_t mid = (lo + hi) / 2;
    if (base + static_cast<int64_t>(table[2 * mid]) <= pc) lo = mid;
    else hi = mid;
  }
  if (base + static_cast<int64_t>(table[2 * lo]) > pc) return nullptr;
  return reinterpret_cast<const uint8_t*>(base + static_cast<int64_t>(table[2 * lo + 1]));
}

}  // namespace

CfiRule compute_cfi_rule(uintptr_t return_address) {
  CfiRule rule;
  if (_dl_find_object == nullptr) return rule;  // kUnknown: use the fallback
  uint64_t pc = return_address - 1;  // inside the call instruction
  struct dl_find_object dlfo;
  if (_dl_find_object(reinterpret_cast<void*>(pc), &dlfo) != 0) {
    rule.status = CfiRule::kUnsupported;  // not in any loaded object (JIT code)
    return rule;
  }
  const uint8_t* fde = find_fde(static_cast<const uint8_t*>(dlfo.dlfo_eh_frame), pc);
  rule.status = CfiRule::kUnsupported;
  if (fde == nullptr) return rule;
  const uint8_t* body;
  const uint8_t* fde_end = entry_bounds(fde, &body);
  int32_t cie_delta;
  memcpy(&cie_delta, body, 4);
  const uint8_t* cie_ptr = body - cie_delta;
  Cie cie;
  if (!parse_cie(cie_ptr, &cie) || cie.signal_frame) return rule;
  Reader r{body + 4, fde_end};
  uint64_t start = r.pointer(cie.fde_enc, 0);
  uint64_t range = r.pointer(cie.fde_enc & 0x0f, 0);
  if (!r.ok || pc < start || pc >= start + range) return rule;
  if (cie.has_aug_data) r.p += r.uleb();
  CfiState initial;
  run_cfi(Reader{cie.insns, cie.end}, cie, 0, ~uint64_t{0}, &initial, initial);
  CfiState s = initial;
  run_cfi(Reader{r.p, fde_end}, cie, start, pc, &s, initial);
  if (!r.ok || s.unsupported) return rule;
  if (s.ra_undefined) {
    rule.status = CfiRule::kOutermost;
    return rule;
  }
  if ((s.cfa_reg != kRegRsp && s.cfa_reg != kRegRbp) || s.ra.loc != Loc::kAtCfa || s.ra.off != -8 ||
      s.rbp.loc == Loc::kOther || s.cfa_off < 0 || s.cfa_off > (1 << 24))
    return rule;
  rule.status = CfiRule::kOk;
  rule.cfa_from_rbp = s.cfa_reg == kRegRbp;
  rule.cfa_offset = static_cast<int32_t>(s.cfa_off);
  rule.rbp_offset = s.rbp.loc == Loc::kAtCfa ? static_cast<int32_t>(s.rbp.off) : 0;
  return rule;
}

}  // namespace leakscope::preload
