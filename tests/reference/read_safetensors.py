#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""An independent safetensors reader and writer: the Python standard library
and NumPy, following the published format
(https://huggingface.co/docs/safetensors, "Format"):

    8 bytes    N, the header length, unsigned little-endian
    N bytes    a UTF-8 JSON object: tensor name -> {"dtype", "shape",
               "data_offsets": [begin, end]}, plus an optional
               "__metadata__" mapping strings to strings; it may be padded
               with spaces
    the rest   the data: each tensor little-endian, C order, at
               [begin, end) from the byte after the header; the tensors
               cover it exactly

    read_safetensors.py FILE          print each tensor and metadata entry
    read_safetensors.py --write FILE  write the interoperability fixture

Reading prints, sorted by name, one line per tensor and per metadata entry:

    tensor<TAB>NAME<TAB>DTYPE<TAB>SHAPE<TAB>SHA256
    metadata<TAB>KEY<TAB>VALUE

SHAPE is the dimensions joined by 'x' ('' for a scalar); SHA256 is the hex
digest of the values converted to little-endian float64, in C order, so a
reader of any precision can compare values exactly. A malformed file exits
with status 1 and a message on stderr.
"""

import hashlib
import json
import struct
import sys

import numpy as np

MAX_HEADER_SIZE = 100_000_000

# dtype -> NumPy type, little-endian.
DTYPES = {
    "BOOL": "?", "U8": "u1", "I8": "i1", "U16": "<u2", "I16": "<i2",
    "U32": "<u4", "I32": "<i4", "U64": "<u8", "I64": "<i8",
    "F16": "<f2", "F32": "<f4", "F64": "<f8",
}


class FormatError(Exception):
    pass


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise FormatError(f"'{key}' appears twice in a JSON object")
        obj[key] = value
    return obj


def _no_constant(name):
    raise FormatError(f"{name} is not JSON")


def _is_uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def read(path):
    """Return ({name: ndarray}, {key: value}) or raise FormatError."""
    with open(path, "rb") as f:
        buf = f.read()
    if len(buf) < 8:
        raise FormatError(f"{len(buf)} bytes, shorter than the header length")
    (n,) = struct.unpack("<Q", buf[:8])
    if n > MAX_HEADER_SIZE:
        raise FormatError(f"header length {n} exceeds {MAX_HEADER_SIZE}")
    if 8 + n > len(buf):
        raise FormatError(f"header length {n} runs past the end of the file")
    raw = buf[8:8 + n]
    if not raw.startswith(b"{"):
        raise FormatError("the header does not start with '{'")
    try:
        header = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates,
                            parse_constant=_no_constant)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise FormatError(f"bad header: {e}") from None
    if not isinstance(header, dict):
        raise FormatError("the header is not a JSON object")

    data = memoryview(buf)[8 + n:]
    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise FormatError("__metadata__ must map strings to strings")

    spans = []
    tensors = {}
    for name, info in header.items():
        if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
            raise FormatError(f"{name}: a tensor needs exactly dtype, shape and data_offsets")
        dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if dtype not in DTYPES:
            raise FormatError(f"{name}: unknown or unsupported dtype {dtype!r}")
        if not isinstance(shape, list) or not all(_is_uint(d) for d in shape):
            raise FormatError(f"{name}: shape must be a list of non-negative integers")
        if (not isinstance(offsets, list) or len(offsets) != 2
                or not all(_is_uint(o) for o in offsets)):
            raise FormatError(f"{name}: data_offsets must be two non-negative integers")
        begin, end = offsets
        if not begin <= end <= len(data):
            raise FormatError(f"{name}: data_offsets {offsets} out of bounds")
        np_type = np.dtype(DTYPES[dtype])
        count = 1
        for d in shape:
            count *= d  # Python integers do not overflow
        if count * np_type.itemsize != end - begin:
            raise FormatError(f"{name}: shape {shape} does not fit data_offsets {offsets}")
        spans.append((begin, end, name))
        tensors[name] = (np.frombuffer(data[begin:end], dtype=np_type).reshape(shape), dtype)

    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise FormatError(f"{name}: data_offsets start at {begin}, expected {position}")
        position = end
    if position != len(data):
        raise FormatError(f"data bytes [{position}, {len(data)}) belong to no tensor")
    return tensors, metadata


def write(path, tensors, metadata=None):
    """Write {name: ndarray} as the reference implementation lays it out:
    tensors ordered by decreasing item size, then by name, in both the
    header and the data; the header padded with spaces to 8 bytes."""
    names = {np.dtype(t): d for d, t in DTYPES.items()}
    order = sorted(tensors, key=lambda k: (-tensors[k].dtype.itemsize, k.encode()))
    header = {}
    if metadata:
        header["__metadata__"] = dict(metadata)
    chunks, offset = [], 0
    for name in order:
        array = np.ascontiguousarray(tensors[name])
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        raw = array.tobytes()
        header[name] = {"dtype": names[array.dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def fixture():
    """The tensors of the interoperability fixture. tests/test-safetensors.c
    computes the same values with the same formulas."""
    i12, i3, i6, i2 = np.arange(12), np.arange(3), np.arange(6), np.arange(2)
    return {
        "dense.weight": ((i12 * 7 % 13 - 6) / 4 + 0.1).astype(np.float32).reshape(3, 4),
        "dense.bias": (0.25 * i3 - 0.3).astype(np.float32),
        "output.weight": ((i6 - 2) / 3).reshape(2, 3),
        "output.bias": 1e-3 * (i2 + 1),
        "empty": np.zeros((0, 5), dtype=np.float32),
    }, {"format": "pt", "writer": "read_safetensors.py"}


def main(argv):
    if len(argv) == 3 and argv[1] == "--write":
        write(argv[2], *fixture())
        return 0
    if len(argv) != 2 or argv[1].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    try:
        tensors, metadata = read(argv[1])
    except FormatError as e:
        print(f"{argv[1]}: error: {e}", file=sys.stderr)
        return 1
    for name in sorted(tensors):
        array, dtype = tensors[name]
        digest = hashlib.sha256(np.ascontiguousarray(array, dtype="<f8").tobytes()).hexdigest()
        shape = "x".join(str(d) for d in array.shape)
        print(f"tensor\t{name}\t{dtype}\t{shape}\t{digest}")
    for key in sorted(metadata):
        print(f"metadata\t{key}\t{metadata[key]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
