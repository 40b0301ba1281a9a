"""Load and scale benchmarks of issue 9 (not collected by pytest; see README.md)."""
