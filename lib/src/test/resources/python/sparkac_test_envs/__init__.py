"""Environments for sparkac's tests: Gymnasium's API, numpy only (no Gymnasium import)."""
