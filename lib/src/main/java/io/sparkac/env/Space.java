package io.sparkac.env;

import java.io.Serializable;
import java.util.Arrays;

/** An observation or action space, after Gymnasium's {@code spaces.Discrete} and {@code spaces.Box}. */
public sealed interface Space extends Serializable permits Space.Discrete, Space.Box {

  /** Number of floats a value of this space takes in a flat vector (1 for a discrete index). */
  int flatSize();

  /** {@code n} actions, {@code 0 .. n-1}. */
  record Discrete(int n) implements Space {
    public Discrete {
      if (n < 1) {
        throw new IllegalArgumentException("Discrete space needs n >= 1, got: " + n);
      }
    }

    @Override
    public int flatSize() {
      return 1;
    }
  }

  /** A box of float32 values with per-dimension bounds (infinite bounds allowed). */
  record Box(float[] low, float[] high) implements Space {
    public Box {
      if (low == null || high == null || low.length != high.length || low.length == 0) {
        throw new IllegalArgumentException(
            "Box space needs low and high of the same non-zero length, got: "
                + Arrays.toString(low) + " and " + Arrays.toString(high));
      }
      for (int i = 0; i < low.length; i++) {
        if (Float.isNaN(low[i]) || Float.isNaN(high[i]) || low[i] > high[i]) {
          throw new IllegalArgumentException(
              "Box space bound " + i + " must satisfy low <= high, got: " + low[i] + " > " + high[i]);
        }
      }
      low = low.clone();
      high = high.clone();
    }

    /** A box with the same bound on every dimension. */
    public static Box symmetric(float bound, int dims) {
      float[] low = new float[dims];
      float[] high = new float[dims];
      Arrays.fill(low, -bound);
      Arrays.fill(high, bound);
      return new Box(low, high);
    }

    public static Box of(float[] low, float[] high) {
      return new Box(low, high);
    }

    @Override
    public float[] low() {
      return low.clone();
    }

    @Override
    public float[] high() {
      return high.clone();
    }

    public float low(int i) {
      return low[i];
    }

    public float high(int i) {
      return high[i];
    }

    public int dims() {
      return low.length;
    }

    @Override
    public int flatSize() {
      return low.length;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Box b && Arrays.equals(low, b.low) && Arrays.equals(high, b.high);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(low) + Arrays.hashCode(high);
    }

    @Override
    public String toString() {
      return "Box(low=" + Arrays.toString(low) + ", high=" + Arrays.toString(high) + ")";
    }
  }
}
