"""Ratio benchmarks of DESIGN §5: each figure is measured side by side with its reference in one run."""
