"""PyTorch reference implementation of the RSR autoencoder that rsrae's benchmarks compare against.

The model and optimizer follow rsrae's MNIST recipe, written in plain PyTorch:

- encoder: Linear(784, 392), LeakyReLU(0.01), Linear(392, 196), LeakyReLU(0.01),
  Linear(196, 128), with no activation after the last layer;
- RSR layer: A with shape 16 x 128, initialized by torch.nn.init.orthogonal_, y = z A^T;
- decoder: Linear(16, 128), LeakyReLU, Linear(128, 392), LeakyReLU, Linear(392, 784), sigmoid;
- loss of a batch: sum_i ||x_i - x̂_i||_2 + λ1 sum_i ||z_i - A^T A z_i||_2 + λ2 ||A A^T - I||_F^2
  with λ1 = λ2 = 1;
- AdamW(lr=0.01, weight_decay=0.01) with OneCycleLR(max_lr=0.01) stepped after every batch,
  batches of 64, shuffled, with the last partial batch dropped.

Subcommands print one JSON object on stdout:

- train: trains on corrupted MNIST (every training-split 4 plus the first 100 images, in
  file order, of each of 0, 1, 2 and 8: 6242 rows) and reports the seconds of each epoch,
  the losses, and ROC AUC and average precision with "digit != 4" as the outlier label;
- score: times reconstruction-error scoring of the 60,000 MNIST training images;
- memory: trains one epoch on the 60,000 training images in a fresh subprocess and reports
  its peak resident set size;
- curve: runs full-batch AdamW steps from weights in a safetensors file, for loss-curve
  parity checks against rsrae.
"""

import argparse
import gzip
import json
import os
import resource
import statistics
import struct
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

INPUT_DIM = 784
ENCODER_HIDDEN_DIMS = (392, 196)
LATENT_DIM = 128
INTRINSIC_DIM = 16
# The decoder does not mirror the encoder. It has no 196-unit layer: 16 -> 128 -> 392 -> 784.
DECODER_HIDDEN_DIMS = (128, 392)
LEAKY_SLOPE = 0.01

LAMBDA1 = 1.0
LAMBDA2 = 1.0
LR = 0.01
WEIGHT_DECAY = 0.01
BATCH_SIZE = 64
SCORE_BATCH_SIZE = 1024

INLIER_DIGIT = 4
OUTLIER_DIGITS = (0, 1, 2, 8)
OUTLIERS_PER_DIGIT = 100

CURVE_LR = 0.001
CURVE_BETAS = (0.9, 0.999)

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


class RSRLayer(nn.Module):
    """Linear map y = z A^T onto the intrinsic subspace, with A initialized to orthonormal rows."""

    def __init__(self, intrinsic_dim, latent_dim):
        super().__init__()
        self.A = nn.Parameter(torch.empty(intrinsic_dim, latent_dim))
        nn.init.orthogonal_(self.A)

    def forward(self, z):
        return z @ self.A.T


class RSRAE(nn.Module):
    """The RSR autoencoder, with the parameter names of rsrae's model.safetensors."""

    def __init__(self):
        super().__init__()
        encoder_dims = (INPUT_DIM, *ENCODER_HIDDEN_DIMS, LATENT_DIM)
        decoder_dims = (INTRINSIC_DIM, *DECODER_HIDDEN_DIMS, INPUT_DIM)
        self.encoder = nn.ModuleList(
            nn.Linear(d_in, d_out) for d_in, d_out in zip(encoder_dims, encoder_dims[1:])
        )
        self.rsr = RSRLayer(INTRINSIC_DIM, LATENT_DIM)
        self.decoder = nn.ModuleList(
            nn.Linear(d_in, d_out) for d_in, d_out in zip(decoder_dims, decoder_dims[1:])
        )

    def forward(self, x):
        """Return the latent code z, its projection y and the reconstruction x̂."""
        z = run_layers(self.encoder, x)
        y = self.rsr(z)
        x_hat = torch.sigmoid(run_layers(self.decoder, y))
        return z, y, x_hat


def run_layers(layers, h):
    """Apply `layers` with LeakyReLU between them and no activation after the last."""
    last = len(layers) - 1
    for i, layer in enumerate(layers):
        h = layer(h)
        if i < last:
            h = F.leaky_relu(h, LEAKY_SLOPE)
    return h


def compute_losses(model, x):
    """Return the reconstruction, projection and orthogonality losses of batch `x`.

    The first two are sums of per-row L2 norms. The third does not depend on `x`.
    """
    z, y, x_hat = model(x)
    A = model.rsr.A
    reconstruction = torch.linalg.vector_norm(x - x_hat, dim=1).sum()
    projection = torch.linalg.vector_norm(z - y @ A, dim=1).sum()
    identity = torch.eye(A.shape[0], dtype=A.dtype)
    orthogonality = (A @ A.T - identity).square().sum()
    return reconstruction, projection, orthogonality


def reconstruction_scores(model, x, batch_size=SCORE_BATCH_SIZE):
    """Return ||x_i - x̂_i||_2 for every row of `x`, computed in batches."""
    scores = torch.empty(x.shape[0], dtype=x.dtype)
    with torch.inference_mode():
        for start in range(0, x.shape[0], batch_size):
            batch = x[start : start + batch_size]
            _, _, x_hat = model(batch)
            scores[start : start + batch.shape[0]] = torch.linalg.vector_norm(batch - x_hat, dim=1)
    return scores


# ----------------------------------------------------------------------------- data


def read_idx(path, magic, ndim):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        raw = f.read()
    found_magic = struct.unpack(">I", raw[:4])[0]
    if found_magic != magic:
        raise ValueError(f"{path}: IDX magic number is {found_magic}, expected {magic}")
    dims = struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim])
    header = 4 + 4 * ndim
    values = np.frombuffer(raw, dtype=np.uint8, offset=header)
    if values.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header declares {dims} values but the file has {values.size}")
    return values.reshape(dims)


def find_mnist_file(mnist_dir, stem):
    for name in (f"{stem}.gz", stem):
        path = os.path.join(mnist_dir, name)
        if os.path.exists(path):
            return path
    raise FileNotFoundError(
        f"{stem}.gz not found in {mnist_dir}; pass --mnist-dir with the MNIST training-split IDX files"
    )


def load_mnist_train(mnist_dir):
    """Return the MNIST training images as float32 rows scaled to [0, 1], and their uint8 labels."""
    images = read_idx(find_mnist_file(mnist_dir, "train-images-idx3-ubyte"), IMAGES_MAGIC, 3)
    labels = read_idx(find_mnist_file(mnist_dir, "train-labels-idx1-ubyte"), LABELS_MAGIC, 1)
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"found {images.shape[0]} training images but {labels.shape[0]} labels in {mnist_dir}; "
            "the image and label files must come from the same MNIST training split"
        )
    # Scaling in place keeps a single float32 copy, so the memory command's peak RSS
    # does not include a temporary 188 MB array.
    x = images.reshape(images.shape[0], -1).astype(np.float32)
    x /= 255.0
    return x, labels


def corrupted_mnist(mnist_dir):
    """Return (x, digits) of every training 4 plus the first 100 of each outlier digit, in file order."""
    x, labels = load_mnist_train(mnist_dir)
    keep = labels == INLIER_DIGIT
    for digit in OUTLIER_DIGITS:
        keep[np.flatnonzero(labels == digit)[:OUTLIERS_PER_DIGIT]] = True
    return x[keep], labels[keep]


# ----------------------------------------------------------------------------- training


def make_batches(x, generator, loader):
    """Yield shuffled batches of BATCH_SIZE rows of `x`, dropping the last partial batch."""
    if loader == "dataloader":
        dataset = torch.utils.data.TensorDataset(x)
        data_loader = torch.utils.data.DataLoader(
            dataset, batch_size=BATCH_SIZE, shuffle=True, drop_last=True, generator=generator
        )
        for (batch,) in data_loader:
            yield batch
    else:
        order = torch.randperm(x.shape[0], generator=generator)
        for step in range(x.shape[0] // BATCH_SIZE):
            yield x[order[step * BATCH_SIZE : (step + 1) * BATCH_SIZE]]


def train(model, x, epochs, seed, loader, on_epoch_end=None):
    """Train `model` on the rows of `x` and return one record per epoch."""
    generator = torch.Generator().manual_seed(seed)
    steps_per_epoch = x.shape[0] // BATCH_SIZE
    optimizer = torch.optim.AdamW(model.parameters(), lr=LR, weight_decay=WEIGHT_DECAY)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=LR, epochs=epochs, steps_per_epoch=steps_per_epoch
    )
    records = []
    for epoch in range(1, epochs + 1):
        # Losses are summed as tensors so that the timed loop does no float conversion.
        sums = torch.zeros(3, dtype=torch.float64)
        last = None
        start = time.perf_counter()
        for batch in make_batches(x, generator, loader):
            reconstruction, projection, orthogonality = compute_losses(model, batch)
            loss = reconstruction + LAMBDA1 * projection + LAMBDA2 * orthogonality
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            last = torch.stack([reconstruction, projection, orthogonality]).detach()
            sums += last
        seconds = time.perf_counter() - start
        record = {"epoch": epoch, "seconds": seconds, "steps": steps_per_epoch}
        record["mean_batch"] = loss_record(sums / steps_per_epoch)
        record["last_batch"] = loss_record(last)
        if on_epoch_end is not None:
            record.update(on_epoch_end(model))
        records.append(record)
    return records


def loss_record(values):
    reconstruction, projection, orthogonality = (float(v) for v in values)
    rsr = LAMBDA1 * projection + LAMBDA2 * orthogonality
    return {
        "reconstruction": reconstruction,
        "rsr": rsr,
        "projection": projection,
        "orthogonality": orthogonality,
        "total": reconstruction + rsr,
    }


def detection_metrics(model, x, is_outlier):
    from sklearn.metrics import average_precision_score, roc_auc_score

    scores = reconstruction_scores(model, x).numpy()
    return {
        "roc_auc": float(roc_auc_score(is_outlier, scores)),
        "average_precision": float(average_precision_score(is_outlier, scores)),
    }


# ----------------------------------------------------------------------------- commands


def environment(args):
    info = {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        # Timings from a busy machine mean little, so the output records the load.
        "load_average_1min": os.getloadavg()[0],
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
    }
    if hasattr(args, "seed"):
        info["seed"] = args.seed
    return info


def command_train(args):
    x_np, digits = corrupted_mnist(args.mnist_dir)
    x = torch.from_numpy(x_np)
    is_outlier = digits != INLIER_DIGIT
    torch.manual_seed(args.seed)
    model = RSRAE()
    records = train(
        model,
        x,
        args.epochs,
        args.seed,
        args.loader,
        on_epoch_end=lambda m: detection_metrics(m, x, is_outlier),
    )
    seconds = [r["seconds"] for r in records]
    return {
        "command": "train",
        **environment(args),
        "loader": args.loader,
        "samples": int(x.shape[0]),
        "outliers": int(is_outlier.sum()),
        "epochs": records,
        "seconds_per_epoch": seconds,
        "median_seconds_per_epoch": statistics.median(seconds),
        "final": records[-1]["mean_batch"],
        "roc_auc": records[-1]["roc_auc"],
        "average_precision": records[-1]["average_precision"],
    }


def command_score(args):
    x_np, _ = load_mnist_train(args.mnist_dir)
    x = torch.from_numpy(x_np)
    torch.manual_seed(args.seed)
    model = RSRAE().eval()
    reconstruction_scores(model, x[:SCORE_BATCH_SIZE])  # warm-up, not timed
    runs = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        reconstruction_scores(model, x)
        seconds = time.perf_counter() - start
        runs.append({"seconds": seconds, "images_per_second": x.shape[0] / seconds})
    rates = [r["images_per_second"] for r in runs]
    return {
        "command": "score",
        **environment(args),
        "images": int(x.shape[0]),
        "batch_size": SCORE_BATCH_SIZE,
        "runs": runs,
        "median_images_per_second": statistics.median(rates),
        "max_images_per_second": max(rates),
    }


def max_rss_mib():
    # On Linux ru_maxrss is in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def command_memory_child(args):
    after_import = max_rss_mib()
    x_np, _ = load_mnist_train(args.mnist_dir)
    x = torch.from_numpy(x_np)
    after_load = max_rss_mib()
    torch.manual_seed(args.seed)
    model = RSRAE()
    records = train(model, x, 1, args.seed, args.loader)
    return {
        "command": "memory",
        **environment(args),
        "loader": args.loader,
        "samples": int(x.shape[0]),
        "epoch_seconds": records[0]["seconds"],
        "peak_rss_mib_after_import": after_import,
        "peak_rss_mib_after_data_load": after_load,
        "peak_rss_mib": max_rss_mib(),
    }


def command_memory(args):
    """Run the measured epoch in a fresh interpreter so that earlier allocations do not count."""
    child = [
        sys.executable,
        os.path.abspath(__file__),
        "memory",
        "--child",
        "--threads", str(args.threads),
        "--seed", str(args.seed),
        "--loader", args.loader,
        "--mnist-dir", args.mnist_dir,
    ]
    result = subprocess.run(child, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"error: memory subprocess failed with exit code {result.returncode}")
    return json.loads(result.stdout)


def load_initial_weights(path):
    from safetensors.torch import load_file

    tensors = load_file(path)
    dtypes = {t.dtype for t in tensors.values()}
    if len(dtypes) != 1 or not next(iter(dtypes)).is_floating_point:
        raise ValueError(f"{path}: expected one floating-point dtype for all tensors, found {dtypes}")
    dtype = dtypes.pop()
    model = RSRAE().to(dtype)
    expected = {name: tuple(p.shape) for name, p in model.state_dict().items()}
    found = {name: tuple(t.shape) for name, t in tensors.items()}
    if expected != found:
        raise ValueError(f"{path}: tensors {found} do not match the model's {expected}")
    model.load_state_dict(tensors)
    return model, dtype


def command_curve(args):
    model, dtype = load_initial_weights(args.init)
    data = np.load(args.data)
    if data.ndim != 2 or data.shape[1] != INPUT_DIM:
        raise ValueError(f"{args.data}: expected shape [rows, {INPUT_DIM}], found {list(data.shape)}")
    batch = torch.from_numpy(np.ascontiguousarray(data[:BATCH_SIZE])).to(dtype)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=CURVE_LR, betas=CURVE_BETAS, weight_decay=WEIGHT_DECAY
    )
    steps = []
    for step in range(1, args.steps + 1):
        reconstruction, projection, orthogonality = compute_losses(model, batch)
        loss = reconstruction + LAMBDA1 * projection + LAMBDA2 * orthogonality
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        record = loss_record(torch.stack([reconstruction, projection, orthogonality]).detach())
        steps.append({"step": step, **record})
    if args.save_final:
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in model.state_dict().items()}, args.save_final)
    return {
        "command": "curve",
        **environment(args),
        "dtype": str(dtype).removeprefix("torch."),
        "batch_size": int(batch.shape[0]),
        "lr": CURVE_LR,
        "betas": list(CURVE_BETAS),
        "weight_decay": WEIGHT_DECAY,
        "steps": steps,
    }


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)

    def add_threads(sub):
        sub.add_argument("--threads", type=int, default=1,
                         help="intra-op threads for torch.set_num_threads (default %(default)s)")

    def add_seed(sub, used_for="weight initialization and shuffling"):
        sub.add_argument("--seed", type=int, default=0,
                         help=f"seed for {used_for} (default %(default)s)")

    def add_mnist_dir(sub):
        sub.add_argument("--mnist-dir", default=os.environ.get("RSRAE_MNIST_DIR"),
                         required="RSRAE_MNIST_DIR" not in os.environ,
                         help="folder with train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz "
                              "(default: $RSRAE_MNIST_DIR)")

    def add_loader(sub):
        sub.add_argument("--loader", choices=("dataloader", "index"), default="dataloader",
                         help="dataloader: torch DataLoader over a TensorDataset; index: slice "
                              "the data tensor with a random permutation (default %(default)s)")

    train_parser = commands.add_parser("train", help="train on corrupted MNIST and report time and AUC")
    add_threads(train_parser)
    add_seed(train_parser)
    add_mnist_dir(train_parser)
    add_loader(train_parser)
    train_parser.add_argument("--epochs", type=int, default=3, help="epochs (default %(default)s)")

    score_parser = commands.add_parser("score", help="time scoring of the 60,000 MNIST training images")
    add_threads(score_parser)
    add_seed(score_parser, used_for="weight initialization")
    add_mnist_dir(score_parser)
    score_parser.add_argument("--repeats", type=int, default=3,
                              help="timed passes over the images (default %(default)s)")

    memory_parser = commands.add_parser(
        "memory", help="peak RSS of one training epoch on the 60,000 MNIST training images"
    )
    add_threads(memory_parser)
    add_seed(memory_parser)
    add_mnist_dir(memory_parser)
    add_loader(memory_parser)
    memory_parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)

    curve_parser = commands.add_parser("curve", help="full-batch AdamW loss curve from given weights")
    add_threads(curve_parser)
    curve_parser.add_argument("--init", required=True, help="safetensors file with the initial weights")
    curve_parser.add_argument("--data", required=True,
                              help=".npy file of shape [rows, 784]; the first 64 rows form the batch")
    curve_parser.add_argument("--steps", type=int, required=True, help="optimizer steps")
    curve_parser.add_argument("--save-final", metavar="FILE",
                              help="write the weights after the last step to this safetensors file")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    for option in ("threads", "epochs", "repeats", "steps"):
        value = getattr(args, option, 1)
        if value < 1:
            raise SystemExit(f"error: --{option} must be at least 1, got {value}")
    # Both calls must come before any parallel work starts.
    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    if args.command == "train":
        result = command_train(args)
    elif args.command == "score":
        result = command_score(args)
    elif args.command == "memory":
        result = command_memory_child(args) if args.child else command_memory(args)
    else:
        result = command_curve(args)
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
