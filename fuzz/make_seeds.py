"""Writes generated seed inputs for the fuzz targets into fuzz/corpus/<target>/.

The CSV, NPY and IDX seeds are built here; the model seeds pack the config.json and
model.safetensors of models that `rsrae fit` trains on generated data, so the release
binary must be built first (cargo build --release -p rsrae-cli).
"""

import gzip
import os
import struct
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(ROOT, "corpus")
RSRAE = os.path.join(ROOT, "..", "target", "release", "rsrae")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def csv_seeds():
    write("csv", "plain", b"a,b,label\n1.5,2,0\n-3,4e2,1\n0,0,0\n")
    write("csv", "quoted", b'" x "," y ",label\n"1.25",  7 , 1.0 \n"-2"," 3 ",0\n')
    write("csv", "missing", b"a,b\n1,NaN\ninf,2\n3,\n4,-Infinity\n")
    write("csv", "ragged", b"a,b,c\n1,2,3\n4,5\n")
    write("csv", "constant", b"a,b\n1,0\n1,0\n1,0\n")
    write("csv", "header_only", b"f0,f1,label\n")
    write("csv", "crlf", b"a,b\r\n1,2\r\n3,4\r\n")


def npy(descr, shape, payload, fortran=False):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr,
        "True" if fortran else "False",
        "(%s)" % ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else ""),
    )
    while (10 + len(header) + 1) % 64:
        header += " "
    header += "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + payload


def npy_seeds():
    write("npy", "f4", npy("<f4", (2, 3), struct.pack("<6f", 1, 2, 3, 4, 5, 6)))
    write("npy", "f8_fortran", npy("<f8", (2, 2), struct.pack("<4d", 1, 3, 2, 4), True))
    write("npy", "f4_big_endian", npy(">f4", (1, 2), struct.pack(">2f", 0.5, -8.25)))
    write("npy", "u1_images", npy("|u1", (2, 64), bytes(range(128))))
    write("npy", "one_d", npy("<f4", (4,), struct.pack("<4f", 1, 2, 3, 4)))
    write("npy", "nan", npy("<f8", (1, 2), struct.pack("<2d", float("nan"), 1.0)))


def idx(magic, dims, payload):
    return struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in dims) + payload


def idx_seeds():
    images = idx(2051, (3, 2, 2), bytes(range(12)))
    write("idx", "images", images)
    write("idx", "images_gz", gzip.compress(images))
    write("idx", "labels", idx(2049, (4,), bytes([9, 0, 7, 2])))
    write("idx", "labels_gz", gzip.compress(idx(2049, (2,), bytes([1, 2]))))
    write("idx", "truncated", images[:-3])


def model_seed(name, data_name, data_bytes, extra_args, weights_kept=None):
    """Fits a model on the given data and packs its two files; `weights_kept` cuts the
    weights, for models too large to fuzz whole, whose config is then what gets fuzzed."""
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, data_name)
        with open(data, "wb") as f:
            f.write(data_bytes)
        model = os.path.join(tmp, "model")
        command = [RSRAE, "fit", "--input", data, "--model", model, "--quiet"] + extra_args
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(model, "config.json"), "rb") as f:
            config = f.read()
        with open(os.path.join(model, "model.safetensors"), "rb") as f:
            weights = f.read()[:weights_kept]
    write("model", name, struct.pack("<I", len(config)) + config + weights)


def model_seeds():
    rows = "".join("%d,%d,%d\n" % (i % 7, (i * 3) % 5, i % 2) for i in range(20))
    table = ("a,b,c\n" + rows).encode()
    model_seed("tabular", "data.csv", table, ["--epochs", "1"])
    model_seed("cosine", "data.csv", table, ["--epochs", "1", "--score", "cosine"])
    model_seed("constant", "data.csv", b"a,b\n1,1\n1,1\n1,1\n", ["--epochs", "1"])
    images = idx(2051, (20, 8, 8), bytes((i * 37) % 256 for i in range(20 * 64)))
    model_seed("images", "x-images-idx3-ubyte", images, ["--epochs", "1"], 200)
    model_seed("conv", "x-images-idx3-ubyte", images, ["--epochs", "1", "--recipe", "paper"], 200)


if __name__ == "__main__":
    csv_seeds()
    npy_seeds()
    idx_seeds()
    if os.path.exists(RSRAE):
        model_seeds()
    else:
        sys.exit("no release binary at %s, so the model seeds were not written" % RSRAE)
