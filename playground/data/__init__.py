"""Data: the generated 2D datasets, the shipped digits (8x8 in ``digits.csv.gz``, 28x28 MNIST in ``mnist.npz``;
sources and licences in README.md) and your own points (CSV in and out). Depends on NumPy only."""
