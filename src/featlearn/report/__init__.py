"""Figures (data → Figure) and self-contained HTML reports of runs, sweeps and experiments; draws records, computes nothing."""
