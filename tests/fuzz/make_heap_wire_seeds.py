#!/usr/bin/env python3
"""Writes the seed corpus of heap_wire_fuzz (tests/fixtures/heap_wire/): valid streams in
the layout of src/format/heap_wire.h, framed as [connection][length LE16][message]."""
import os
import struct
import sys

MAGIC, VERSION = 0x5048534C, 2
HELLO, EVENTS, STACK, FORK, EXIT, WATERMARK, STACKS = 1, 2, 3, 4, 5, 6, 10


def msg(kind, body, base_ts=0):
    return struct.pack("<HHIQ", kind, 0, 16 + len(body), base_ts) + body


def hello(pid, nonce, flags=0, parent_nonce=0, fork_id=0, version=VERSION, exe=b"/bin/app"):
    body = struct.pack("<IIiiQQQQQIIII", MAGIC, version, pid, 1, 100 + pid, nonce, parent_nonce,
                       fork_id, 0, 1, flags, 0, len(exe)) + exe
    return msg(HELLO, body)


def stack(sid, pcs):
    return msg(STACK, struct.pack("<II", sid, len(pcs)) + b"".join(struct.pack("<Q", p) for p in pcs))


def stacks(defs):
    return msg(STACKS, b"".join(struct.pack("<II", sid, len(pcs)) + b"".join(struct.pack("<Q", p) for p in pcs)
                                for sid, pcs in defs))


def ts_word(sid, delta):
    return sid | ((delta & 0xFFFFFFFF) << 32)


def events(records, base_ts=1000):
    words = []
    for r in records:
        if r[0] == "alloc":
            words += [(1 << 56) | r[1], r[2], ts_word(r[3], r[4])]
        elif r[0] == "free":
            words += [(2 << 56) | r[1], ts_word(0, r[2])]
        elif r[0] == "mmap":
            words += [(3 << 56) | r[1], r[2], ts_word(r[3], r[4])]
        elif r[0] == "munmap":
            words += [(4 << 56) | r[1], r[2], ts_word(0, r[3])]
        elif r[0] == "mremap":
            words += [(5 << 56) | r[1], r[2], r[3], r[4], ts_word(r[5], r[6])]
    return msg(EVENTS, b"".join(struct.pack("<Q", w) for w in words), base_ts)


def frame(conn, m):
    return struct.pack("<BH", conn, len(m)) + m


def main(out):
    os.makedirs(out, exist_ok=True)
    one = [hello(10, 0xA1), stacks([(1, [0x401000, 0x402000]), (2, [0x403000])]), stack(3, [0x404000]),
           events([("alloc", 0x1000, 32, 1, 1), ("alloc", 0x2000, 64, 2, 2), ("free", 0x1000, 3),
                   ("mmap", 0x7F0000000000, 1 << 20, 2, 4), ("mremap", 0x7F0000200000, 2 << 20,
                   0x7F0000000000, 1 << 20, 2, 5), ("munmap", 0x7F0000200000, 4096, 6),
                   ("free", 0x9000, -2)]),
           msg(WATERMARK, struct.pack("<Q", 2000)), msg(EXIT, struct.pack("<II", 0, 0))]
    forked = [frame(0, hello(20, 0xB1)), frame(0, stack(1, [0x401000])),
              frame(0, events([("alloc", 0x1000, 16, 1, 1)])),
              frame(1, hello(21, 0xB2, flags=2, parent_nonce=0xB1, fork_id=1)),
              frame(0, msg(FORK, struct.pack("<Q", 1))),
              frame(1, events([("free", 0x1000, 5), ("alloc", 0x1000, 48, 1, 6)])),
              frame(0, events([("free", 0x1000, 7)])), frame(1, msg(EXIT, struct.pack("<II", 4, 0)))]
    seeds = {
        "single_image": b"".join(frame(0, m) for m in one),
        "fork_child": b"".join(forked),
        "newer_version": frame(0, hello(30, 0xC1, version=VERSION + 1)) + frame(0, events([("alloc", 0x10, 8, 0, 0)])),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "fixtures", "heap_wire"))
