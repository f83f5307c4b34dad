"""Broken environments for sparkac's error-case tests: each breaks one thing of Gymnasium's API
or of the worker's life, at a chosen step (counted over the process's environments)."""
import os
import threading
import time

import numpy as np

from .cartpole import CartPole
from .spaces import Box, Discrete


class _Counted(CartPole):
    """Breaks at its at_step-th step; with in_tasks_only, only in a worker of a Spark task (not in
    the driver's check)."""

    def __init__(self, at_step=3, in_tasks_only=False):
        CartPole.__init__(self)
        self.at_step = at_step
        self.in_tasks_only = in_tasks_only
        self.count = 0

    def step(self, action):
        self.count += 1
        if self.count == self.at_step and (not self.in_tasks_only or "SPARKAC_TASK_ATTEMPT" in os.environ):
            self.fault()
        return CartPole.step(self, action)


class RaisesInStep(_Counted):
    def fault(self):
        helper_that_fails(self.count)


def helper_that_fails(count):
    raise ValueError("the pole fell off the cart at step %d" % count)


class ExitsInStep(_Counted):
    def fault(self):
        print("ExitsInStep: exiting", flush=True)
        os._exit(7)


class HangsInStep(_Counted):
    def fault(self):
        time.sleep(3600)


class WrongArity(_Counted):
    def step(self, action):
        obs, reward, terminated, truncated, info = CartPole.step(self, action)
        return obs, reward, terminated or truncated, info  # Gym 0.21's 4-tuple


class Unpicklable(CartPole):
    def __init__(self):
        CartPole.__init__(self)
        self.lock = threading.Lock()




class Tuple:
    def __init__(self, spaces):
        self.spaces = spaces

    def __repr__(self):
        return "Tuple(%s)" % ", ".join(repr(s) for s in self.spaces)


class TupleObservation(CartPole):
    def __init__(self):
        CartPole.__init__(self)
        self.observation_space = Tuple((Discrete(3), Discrete(2)))


class Flaky(CartPole):
    """Fails the first attempt of every Spark task at its process's fifth step, leaving a marker
    file in faults_dir; a retried attempt (SPARKAC_TASK_ATTEMPT > 0) and the driver run clean."""
    steps_in_process = 0

    def __init__(self, faults_dir=""):
        CartPole.__init__(self)
        self.faults_dir = faults_dir

    def step(self, action):
        if os.environ.get("SPARKAC_TASK_ATTEMPT") == "0":
            Flaky.steps_in_process += 1
            if Flaky.steps_in_process == 5:
                job = "".join(c if c.isalnum() else "-" for c in os.environ.get("SPARKAC_JOB", ""))
                marker = "%s_stage-%s_partition-%s_attempt-0" % (
                    job, os.environ.get("SPARKAC_STAGE_ID"), os.environ.get("SPARKAC_PARTITION_ID"))
                os.makedirs(self.faults_dir, exist_ok=True)
                open(os.path.join(self.faults_dir, marker), "w").close()
                raise RuntimeError("injected fault: " + marker)
        return CartPole.step(self, action)


class ContinuousPoint:
    """A point on a line pushed by a Box action of shape (1, 1), observed as a (2, 1) Box: shapes
    are flattened, actions clipped to the bounds."""
    max_episode_steps = 50

    def __init__(self):
        self.action_space = Box(-1.0, 1.0, shape=(1, 1), dtype=np.float32)
        self.observation_space = Box(-10.0, 10.0, shape=(2, 1), dtype=np.float32)
        self.x = 0.0
        self.rng = None

    def reset(self, seed=None, options=None):
        self.rng = np.random.default_rng(seed)
        self.x = float(self.rng.uniform(-1, 1))
        return self.obs(), {}

    def obs(self):
        return np.array([[self.x], [abs(self.x)]], dtype=np.float32)

    def step(self, action):
        a = np.asarray(action)
        assert a.shape == (1, 1), a.shape
        assert -1.0 <= a[0, 0] <= 1.0, a
        self.x = float(np.clip(self.x + 0.1 * a[0, 0], -10, 10))
        return self.obs(), -abs(self.x), False, False, {}
