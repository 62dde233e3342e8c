#!/usr/bin/env python3
"""mkmmdb.py - writes a tiny MaxMind DB (ASN-style) for the routeview tests.

Test-only generator written from the MaxMind DB File Format Specification
(version 2.0): a binary search tree (24- or 32-bit records), 16 zero bytes,
the data section (maps, UTF-8 strings, uint16/uint32/uint64), then the
metadata marker b"\\xab\\xcd\\xefMaxMind.com" and the metadata map. Nothing
here is copied from another implementation.

usage: mkmmdb.py OUT.mmdb [--ipv4-only] [--record-size 24|32] [--check]
         [PREFIX=ASN:ORG ...]
Without PREFIX arguments the built-in table below is written. IPv4
prefixes go under ::/96 in an IPv6 tree (how MaxMind stores them). With
--check every prefix is looked up with `mmdblookup` (package mmdb-bin) and
the AS number compared; the check is skipped (exit 0, a note on stderr)
when mmdblookup is missing.
"""
import ipaddress
import shutil
import struct
import subprocess
import sys
import time

DEFAULT = [
    ("10.0.0.0/8", 64500, "Example Ten"),
    ("10.1.0.0/16", 64501, "Example Ten-One"),
    ("192.0.2.0/24", 64502, "Doc Net"),
    ("198.51.100.0/25", 64503, "Half Doc \u65e5\u672c"),
    ("2001:db8::/32", 64510, "Doc Six"),
    ("2001:db8:1::/48", 4200000001, "Doc Six Four-Byte"),
]


def ctrl(typ, size):
    """Control byte(s) for a data field of type `typ` and `size`."""
    ext = b""
    if typ > 7:
        ext = bytes([typ - 7])
        t = 0
    else:
        t = typ
    if size < 29:
        first, tail = size, b""
    elif size < 29 + 256:
        first, tail = 29, bytes([size - 29])
    elif size < 285 + 65536:
        first, tail = 30, struct.pack(">H", size - 285)
    else:
        first, tail = 31, struct.pack(">I", size - 65821)[1:]
    return bytes([(t << 5) | first]) + ext + tail


def enc_uint(typ, v):
    b = v.to_bytes(16, "big").lstrip(b"\0")
    return ctrl(typ, len(b)) + b


def enc(v):
    if isinstance(v, str):
        b = v.encode("utf-8")
        return ctrl(2, len(b)) + b
    if isinstance(v, tuple):         # ("u16"|"u32"|"u64", n)
        return enc_uint({"u16": 5, "u32": 6, "u64": 9}[v[0]], v[1])
    if isinstance(v, dict):
        out = ctrl(7, len(v))
        for k, x in v.items():
            out += enc(k) + enc(x)
        return out
    if isinstance(v, list):
        out = ctrl(11, len(v))
        for x in v:
            out += enc(x)
        return out
    raise TypeError(v)


class Node:
    __slots__ = ("kids", "data")

    def __init__(self):
        self.kids = [None, None]
        self.data = None


def build(entries, ipv4_only):
    root = Node()
    for net, data in sorted(entries, key=lambda e: e[0].prefixlen):
        if ipv4_only:
            bits, plen = int(net.network_address), net.prefixlen
            width = 32
        elif net.version == 4:
            bits, plen = int(net.network_address), 96 + net.prefixlen
            width = 128
        else:
            bits, plen = int(net.network_address), net.prefixlen
            width = 128
        n = root
        for i in range(plen):
            b = (bits >> (width - 1 - i)) & 1
            if n.kids[b] is None:
                n.kids[b] = Node()
            n = n.kids[b]
        n.data = data
    return root


def write(path, entries, ipv4_only=False, record_size=24):
    root = build(entries, ipv4_only)
    nodes = []          # [left, right] records: ("node", idx) / ("data", off) / None
    data = bytearray()
    data_off = {}

    def data_ref(d):
        key = enc(d)
        if key not in data_off:
            data_off[key] = len(data)
            data.extend(key)
        return ("data", data_off[key])

    def emit(n, inherited):
        here = n.data if n.data is not None else inherited
        idx = len(nodes)
        nodes.append([None, None])
        for b in (0, 1):
            k = n.kids[b]
            if k is None:
                nodes[idx][b] = data_ref(here) if here is not None else None
            elif k.kids == [None, None]:
                d = k.data if k.data is not None else here
                nodes[idx][b] = data_ref(d) if d is not None else None
            else:
                nodes[idx][b] = ("node", emit(k, here))
        return idx

    emit(root, None)
    count = len(nodes)

    def val(r):
        if r is None:
            return count
        if r[0] == "node":
            return r[1]
        return count + 16 + r[1]

    tree = bytearray()
    for left, right in nodes:
        l, r = val(left), val(right)
        if record_size == 24:
            tree += l.to_bytes(3, "big") + r.to_bytes(3, "big")
        elif record_size == 32:
            tree += l.to_bytes(4, "big") + r.to_bytes(4, "big")
        else:
            raise ValueError("record size 24 or 32")
    meta = {
        "node_count": ("u32", count),
        "record_size": ("u16", record_size),
        "ip_version": ("u16", 4 if ipv4_only else 6),
        "database_type": "mamori-test-ASN",
        "languages": ["en"],
        "binary_format_major_version": ("u16", 2),
        "binary_format_minor_version": ("u16", 0),
        "build_epoch": ("u64", int(time.time())),
        "description": {"en": "mamori routeview test database"},
    }
    with open(path, "wb") as f:
        f.write(bytes(tree))
        f.write(b"\0" * 16)
        f.write(bytes(data))
        f.write(b"\xab\xcd\xefMaxMind.com")
        f.write(enc(meta))


def check(path, entries):
    tool = shutil.which("mmdblookup")
    if tool is None:
        print("mkmmdb: mmdblookup missing, check skipped", file=sys.stderr)
        return 0
    bad = 0
    for net, d in entries:
        ip = str(net.network_address)
        out = subprocess.run([tool, "--file", path, "--ip", ip,
                              "autonomous_system_number"],
                             capture_output=True, text=True).stdout
        want = d["autonomous_system_number"][1]
        got = out.split()[0] if out.split() else ""
        if got != str(want):
            print("mkmmdb: %s: mmdblookup says %r, want %d" % (ip, out, want),
                  file=sys.stderr)
            bad += 1
    return 1 if bad else 0


def main(argv):
    out, ipv4_only, rs, do_check, specs = None, False, 24, False, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--ipv4-only":
            ipv4_only = True
        elif a == "--record-size":
            i += 1
            rs = int(argv[i])
        elif a == "--check":
            do_check = True
        elif out is None:
            out = a
        else:
            specs.append(a)
        i += 1
    if out is None:
        print(__doc__, file=sys.stderr)
        return 2
    rows = []
    if specs:
        for s in specs:
            p, rest = s.split("=", 1)
            asn, org = rest.split(":", 1)
            rows.append((p, int(asn), org))
    else:
        rows = DEFAULT
    entries = []
    for p, asn, org in rows:
        net = ipaddress.ip_network(p)
        if ipv4_only and net.version != 4:
            continue
        entries.append((net, {"autonomous_system_number": ("u32", asn),
                              "autonomous_system_organization": org}))
    write(out, entries, ipv4_only, rs)
    return check(out, entries) if do_check else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
