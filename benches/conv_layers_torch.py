"""Time the convolution layers of the RSRAE conv model in PyTorch, one by one.

The model is the convolutional network of the official RSRAE code (Lai, Zou and Lerman,
ICLR 2020). The layers and shapes match `conv2d_forward_backward` and
`conv_transpose2d_forward_backward` in crates/rsrae/benches/kernels.rs: batch 128 of
28 x 28 x 1 images; encoder convolutions 5x5/32, 5x5/64 and 3x3/128 of stride 2; decoder
transposed convolutions 3x3/64, 5x5/32 and 5x5/1 of stride 2. TensorFlow's "SAME"
padding pads one more zero after than before; torch pads symmetrically, which gives the
same output sizes and the same number of multiply-adds.

Each timed iteration runs the layer forward and backward (weight, bias and input
gradients), as the rsrae benchmark does. Prints one JSON object with the median seconds
of each layer.

    benches/reference/.venv/bin/python benches/conv_layers_torch.py --threads 1
"""

import argparse
import json
import os
import statistics
import time

import torch
from torch import nn

BATCH = 128

# (name, module, input shape without the batch)
LAYERS = [
    ("conv0", lambda: nn.Conv2d(1, 32, 5, stride=2, padding=2), (1, 28, 28)),
    ("conv1", lambda: nn.Conv2d(32, 64, 5, stride=2, padding=2), (32, 14, 14)),
    ("conv2", lambda: nn.Conv2d(64, 128, 3, stride=2, padding=0), (64, 7, 7)),
    ("convt0", lambda: nn.ConvTranspose2d(128, 64, 3, stride=2, padding=0), (128, 3, 3)),
    (
        "convt1",
        lambda: nn.ConvTranspose2d(64, 32, 5, stride=2, padding=2, output_padding=1),
        (64, 7, 7),
    ),
    (
        "convt2",
        lambda: nn.ConvTranspose2d(32, 1, 5, stride=2, padding=2, output_padding=1),
        (32, 14, 14),
    ),
]


def time_layer(make, shape, iterations, warmup):
    """Return the median seconds of one forward and backward pass of the layer."""
    layer = make()
    x = torch.rand(BATCH, *shape, requires_grad=True)
    dy = torch.rand_like(layer(x))
    times = []
    for i in range(warmup + iterations):
        start = time.perf_counter()
        layer.zero_grad(set_to_none=True)
        x.grad = None
        y = layer(x)
        y.backward(dy)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times), list(y.shape)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--threads", type=int, default=1, help="torch.set_num_threads")
    parser.add_argument("--iterations", type=int, default=50, help="timed passes per layer")
    parser.add_argument("--warmup", type=int, default=5, help="untimed passes per layer")
    args = parser.parse_args()
    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    layers = {}
    for name, make, shape in LAYERS:
        seconds, out_shape = time_layer(make, shape, args.iterations, args.warmup)
        layers[name] = {"median_seconds": seconds, "output_shape": out_shape}
    result = {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "load_average_1min": os.getloadavg()[0],
        "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
        "batch": BATCH,
        "layers": layers,
        "total_median_seconds": sum(layer["median_seconds"] for layer in layers.values()),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
