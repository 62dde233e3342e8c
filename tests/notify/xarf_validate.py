#!/usr/bin/env python3
"""Validate X-ARF v4 documents against the X-ARF v4 JSON schemas.

    xarf_validate.py [--schemas DIR] FILE.json...

DIR (default: the schemas/ directory next to this script) holds
xarf-core.json, xarf-v4-master.json and types/<category>-<type>.json
(see schemas/README). Each FILE must validate against the master schema
(the valid category/type pairs and, through it, the type schema) and
against its own type schema; beyond the schemas, every evidence item's
payload must be base64 that decodes to `size` bytes with the given
sha256, timestamps must be RFC 3339 and report_id a UUID.

Exit 0: all valid; 1: some invalid (each problem printed); 2: usage or
unreadable schema; 77: the jsonschema module is missing (Debian:
python3-jsonschema), so the caller can skip.

Works with jsonschema 4.10 (Debian 12, RefResolver) and newer releases
(referencing registry). Nothing is fetched from the network: every $ref
resolves to a file in DIR, by the schemas' $id.
"""
import base64
import binascii
import hashlib
import json
import os
import re
import sys
import uuid
import warnings

try:
    import jsonschema
except ImportError:
    print("xarf_validate: python3 jsonschema module missing", file=sys.stderr)
    sys.exit(77)

BASE = "https://xarf.org/schemas/v4/"
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?"
                     r"(Z|[+-]\d{2}:\d{2})$")


def load_schemas(d):
    """$id -> schema for every *.json under d."""
    store = {}
    for root, _, files in os.walk(d):
        for f in sorted(files):
            if not f.endswith(".json"):
                continue
            with open(os.path.join(root, f), encoding="utf-8") as fp:
                s = json.load(fp)
            store[s["$id"]] = s
    return store


def make_validator(store, sid):
    cls = jsonschema.Draft202012Validator
    schema = store[sid]
    fc = getattr(cls, "FORMAT_CHECKER", None) or jsonschema.FormatChecker()
    try:
        from referencing import Registry, Resource
        reg = Registry().with_resources(
            (k, Resource.from_contents(v)) for k, v in store.items())
        return cls(schema, registry=reg, format_checker=fc)
    except ImportError:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            res = jsonschema.RefResolver(sid, schema, store=store)
            return cls(schema, resolver=res, format_checker=fc)


def short(msg, n=240):
    return msg if len(msg) <= n else msg[:n] + "..."


def extra_checks(doc):
    errs = []
    for k in ("timestamp", "first_seen", "last_seen"):
        if k in doc and not RFC3339.match(str(doc[k])):
            errs.append("%s %r is not RFC 3339" % (k, doc[k]))
    try:
        uuid.UUID(doc.get("report_id", ""))
    except (ValueError, TypeError, AttributeError):
        errs.append("report_id %r is not a UUID" % doc.get("report_id"))
    for i, e in enumerate(doc.get("evidence", [])):
        try:
            raw = base64.b64decode(e.get("payload", ""), validate=True)
        except (binascii.Error, ValueError) as ex:
            errs.append("evidence[%d]: payload not base64: %s" % (i, ex))
            continue
        if "size" in e and e["size"] != len(raw):
            errs.append("evidence[%d]: size %s, payload %d bytes"
                        % (i, e["size"], len(raw)))
        h = e.get("hash", "")
        if h.startswith("sha256:") and \
                h[7:].lower() != hashlib.sha256(raw).hexdigest():
            errs.append("evidence[%d]: sha256 does not match" % i)
        if e.get("content_type") == "application/json":
            try:
                json.loads(raw.decode("utf-8"))
            except ValueError as ex:
                errs.append("evidence[%d]: not JSON: %s" % (i, ex))
    return errs


def main(argv):
    args = argv[1:]
    sdir = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "schemas")
    if len(args) >= 2 and args[0] == "--schemas":
        sdir, args = args[1], args[2:]
    if not args:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        store = load_schemas(sdir)
        master = make_validator(store, BASE + "xarf-v4-master.json")
    except (OSError, ValueError, KeyError) as ex:
        print("xarf_validate: schemas in %s: %s" % (sdir, ex),
              file=sys.stderr)
        return 2
    bad = 0
    for path in args:
        try:
            with open(path, encoding="utf-8") as fp:
                doc = json.load(fp)
        except (OSError, ValueError) as ex:
            print("%s: %s" % (path, ex))
            bad += 1
            continue
        errs = ["%s: %s" % ("/".join(str(p) for p in e.absolute_path) or
                            "(root)", short(e.message))
                for e in master.iter_errors(doc)]
        t = str(doc.get("type"))
        tid = "%stypes/%s-%s.json" % (BASE, doc.get("category"), t)
        if tid not in store:    # most file names spell "_" as "-"
            tid = tid.rsplit("/", 1)[0] + "/%s-%s.json" % (
                doc.get("category"), t.replace("_", "-"))
        if tid not in store:
            errs.append("no type schema %s in %s" % (tid, sdir))
        else:
            errs += ["%s (%s)" % (short(e.message), tid.rsplit("/", 1)[1])
                     for e in make_validator(store, tid).iter_errors(doc)]
        errs += extra_checks(doc)
        if errs:
            bad += 1
            for e in errs:
                print("%s: %s" % (path, e))
        else:
            print("%s: valid X-ARF %s %s/%s" % (path, doc["xarf_version"],
                                                doc["category"], doc["type"]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
