package io.sparkac.env.python;

/**
 * A pickled environment carried in an actor snapshot's {@code double[]} state: the byte length,
 * then 6 bytes per value as a whole number below 2^48, which every double holds exactly (no NaN
 * patterns, so any writer of doubles keeps the bytes).
 */
public final class PickledState {
  private static final int BYTES_PER_VALUE = 6;

  private PickledState() {}

  public static double[] pack(byte[] bytes) {
    int values = (bytes.length + BYTES_PER_VALUE - 1) / BYTES_PER_VALUE;
    double[] out = new double[1 + values];
    out[0] = bytes.length;
    for (int v = 0; v < values; v++) {
      long word = 0;
      for (int b = 0; b < BYTES_PER_VALUE; b++) {
        int at = v * BYTES_PER_VALUE + b;
        word = (word << 8) | (at < bytes.length ? bytes[at] & 0xff : 0);
      }
      out[1 + v] = word;
    }
    return out;
  }

  public static byte[] unpack(double[] packed) {
    if (packed == null || packed.length == 0) {
      throw new IllegalArgumentException("no pickled state (an empty snapshot state)");
    }
    long length = (long) packed[0];
    if (packed[0] != length || length < 0
        || (length + BYTES_PER_VALUE - 1) / BYTES_PER_VALUE != packed.length - 1) {
      throw new IllegalArgumentException("not a pickled state: length " + packed[0] + " for " + (packed.length - 1)
          + " values");
    }
    byte[] out = new byte[(int) length];
    for (int v = 0; v < packed.length - 1; v++) {
      long word = (long) packed[1 + v];
      for (int b = BYTES_PER_VALUE - 1; b >= 0; b--) {
        int at = v * BYTES_PER_VALUE + b;
        if (at < out.length) {
          out[at] = (byte) word;
        }
        word >>>= 8;
      }
    }
    return out;
  }
}
