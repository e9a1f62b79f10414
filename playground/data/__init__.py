"""Data: the generated 2D datasets, the shipped 8x8 digits (``digits.csv.gz``, licence in README.md) and
your own points (CSV in and out). Depends on NumPy only."""
