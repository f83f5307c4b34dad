"""Minimal stand-ins for gymnasium.spaces.Discrete and Box: the worker reads spaces by their
class name and attributes (n, start; low, high, shape, dtype), as it reads Gymnasium's."""
import numpy as np


class Discrete:
    def __init__(self, n, start=0):
        self.n = int(n)
        self.start = int(start)
        self.dtype = np.dtype(np.int64)

    def __repr__(self):
        return "Discrete(%d)" % self.n


class Box:
    def __init__(self, low, high, shape=None, dtype=np.float32):
        self.dtype = np.dtype(dtype)
        shape = tuple(shape) if shape is not None else np.shape(low)
        self.low = np.full(shape, low, dtype=self.dtype) if np.isscalar(low) else np.asarray(low, self.dtype)
        self.high = np.full(shape, high, dtype=self.dtype) if np.isscalar(high) else np.asarray(high, self.dtype)
        self.shape = shape

    def __repr__(self):
        return "Box(%s, %s, %s, %s)" % (self.low.min(), self.high.max(), self.shape, self.dtype)
