package io.sparkac.env;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** Environment ids to factories: the built-in Gymnasium ports. */
public final class EnvRegistry {
  private static final Map<String, Supplier<Environment>> FACTORIES = new LinkedHashMap<>();

  static {
    FACTORIES.put(CartPole.ID, CartPole::new);
    FACTORIES.put(Acrobot.ID, Acrobot::new);
    FACTORIES.put(MountainCar.ID, MountainCar::new);
    FACTORIES.put(MountainCarContinuous.ID, MountainCarContinuous::new);
    FACTORIES.put(Pendulum.ID, Pendulum::new);
  }

  private EnvRegistry() {}

  /** The ids that {@link #create(String)} knows, in registration order. */
  public static Set<String> ids() {
    return java.util.Collections.unmodifiableSet(FACTORIES.keySet());
  }

  public static boolean contains(String id) {
    return FACTORIES.containsKey(id);
  }

  /** A new environment for {@code id}; an unknown id fails with the list of known ids. */
  public static Environment create(String id) {
    Supplier<Environment> factory = FACTORIES.get(id);
    if (factory == null) {
      throw new IllegalArgumentException(
          "env.id: unknown environment '" + id + "'; known ids: " + String.join(", ", FACTORIES.keySet()));
    }
    return factory.get();
  }
}
