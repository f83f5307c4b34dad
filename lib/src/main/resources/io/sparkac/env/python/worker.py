# sparkac's Python environment worker: hosts Gymnasium-API environments for one rollout task (or
# for the driver's checks) and steps them in batches. Standard library and numpy only.
#
# Started by io.sparkac.env.python.PythonWorker with `python -c <this file>`; it talks over its
# standard input and output in little-endian binary frames:
#   request:  op u8, length u32, payload
#   response: status u8 (0 ok, 1 error, 2 cannot pickle), length u32, payload
# An error's payload is the index of the environment (i32, -1 for none) and the message (UTF-8),
# the Python traceback included. The environments' own prints go to standard error (file
# descriptor 1 is moved away from the protocol). The worker exits when its input closes, and
# within a second of its parent process dying.
import io
import json
import os
import pickle
import struct
import sys
import threading
import time
import traceback

import numpy as np

HELLO, ADD, RESET, STEP, GET_STATE, SET_STATE, CLOSE_ENV, SET_TRACE_STATE, GET_TRACE_STATE = range(1, 10)
OK, ERROR, UNPICKLABLE = 0, 1, 2
HEADER = struct.Struct("<BI")


class Failure(Exception):
    def __init__(self, index, message, status=ERROR):
        Exception.__init__(self, message)
        self.index = index
        self.message = message
        self.status = status


def describe_exception(what, note=""):
    text = traceback.format_exc()
    return what + " raised an exception in Python" + note + ":\n" + text.rstrip()


def watch_parent():
    parent = os.getppid()
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(3)


def space_info(space, role):
    kind = type(space).__name__
    if kind == "Discrete" and hasattr(space, "n"):
        return {"type": "discrete", "n": int(space.n), "start": int(getattr(space, "start", 0))}
    if kind == "Box" and hasattr(space, "low") and hasattr(space, "high"):
        low = np.asarray(space.low, dtype=np.float64).reshape(-1)
        high = np.asarray(space.high, dtype=np.float64).reshape(-1)
        shape = [int(d) for d in getattr(space, "shape", low.shape)]
        dtype = str(np.dtype(getattr(space, "dtype", np.float32)))
        return {"type": "box", "shape": shape, "dtype": dtype,
                "low": [float(v) for v in low], "high": [float(v) for v in high]}
    raise Failure(-1, "the %s space is %s (%s.%s); sparkac supports Discrete and Box spaces only"
                  % (role, repr(space), type(space).__module__, kind))


class Slot:
    __slots__ = ("env", "elapsed", "obs")

    def __init__(self, env):
        self.env = env
        self.elapsed = 0
        self.obs = None


class Worker:
    def __init__(self, out):
        self.out = out
        self.slots = []
        self.factory = None
        self.max_steps = 0
        self.obs_size = 0
        self.obs_discrete_start = None
        self.action_discrete_start = None
        self.action_shape = None
        self.action_dtype = None
        self.spaces = None

    # --- creating environments ---------------------------------------------------------------
    def hello(self, payload):
        spec = json.loads(payload.decode("utf-8"))
        kwargs = spec.get("kwargs") or {}
        if spec.get("gymnasium"):
            what = "gymnasium.make(%r)" % spec["gymnasium"]
            try:
                import gymnasium
            except Exception:
                raise Failure(-1, describe_exception("import gymnasium (for env.gymnasium)"))
            self.factory = lambda: gymnasium.make(spec["gymnasium"], **kwargs)
        else:
            target = spec["python"]
            module_name, _, attr = target.partition(":")
            what = target
            try:
                import importlib
                obj = importlib.import_module(module_name)
            except Exception:
                raise Failure(-1, describe_exception("import %s" % module_name, " (sys.path: %s)" % sys.path))
            try:
                for part in attr.split("."):
                    obj = getattr(obj, part)
            except AttributeError:
                raise Failure(-1, "module %s has no attribute %s (env.python takes package.module:ClassOrFactory)"
                              % (module_name, attr))
            if not callable(obj):
                raise Failure(-1, "%s is %r, not a class or a function" % (target, obj))
            self.factory = lambda: obj(**kwargs)
        self.what = what
        env = self.create()
        obs_info = space_info(env.observation_space, "observation")
        action_info = space_info(env.action_space, "action")
        max_steps = None
        spec_obj = getattr(env, "spec", None)
        if spec_obj is not None and getattr(spec_obj, "max_episode_steps", None):
            max_steps = spec_obj.max_episode_steps
        elif getattr(env, "max_episode_steps", None):
            max_steps = env.max_episode_steps
        self.max_steps = int(max_steps or 0)
        env_id = getattr(spec_obj, "id", None) or what
        if obs_info["type"] == "box":
            self.obs_size = int(np.prod(obs_info["shape"])) if obs_info["shape"] else 1
        else:
            self.obs_size = 1
            self.obs_discrete_start = obs_info["start"]
        if action_info["type"] == "discrete":
            self.action_discrete_start = action_info["start"]
        else:
            self.action_shape = tuple(action_info["shape"])
            self.action_dtype = np.dtype(action_info["dtype"])
        self.slots.append(Slot(env))
        count = spec.get("count", 1)
        for _ in range(count - 1):
            self.slots.append(Slot(self.create()))
        info = {"id": env_id, "observation": obs_info, "action": action_info, "max_episode_steps": self.max_steps,
                "python": sys.version.split()[0], "numpy": np.__version__}
        return json.dumps(info).encode("utf-8")

    def create(self):
        try:
            env = self.factory()
        except Exception:
            raise Failure(-1, describe_exception(self.what + "(...)"))
        for name in ("reset", "step", "observation_space", "action_space"):
            if not hasattr(env, name):
                raise Failure(-1, "%s created %r, which has no %s: an environment needs Gymnasium's API "
                              "(reset, step, observation_space, action_space)" % (self.what, env, name))
        return env

    def add(self, payload):
        (count,) = struct.unpack_from("<I", payload)
        first = len(self.slots)
        for _ in range(count):
            self.slots.append(Slot(self.create()))
        return struct.pack("<I", first)

    # --- stepping ------------------------------------------------------------------------------
    def flat_obs(self, i, obs, what):
        if self.obs_discrete_start is not None:
            return np.array([float(int(obs) - self.obs_discrete_start)], dtype=np.float32)
        flat = np.asarray(obs, dtype=np.float32).reshape(-1)
        if flat.shape[0] != self.obs_size:
            raise Failure(i, "%s returned an observation of %d values (shape %s); the observation space has %d"
                          % (what, flat.shape[0], np.shape(obs), self.obs_size))
        return flat

    def do_reset(self, i, seed, out):
        slot = self.slots[i]
        try:
            result = slot.env.reset(seed=seed)
        except Exception:
            raise Failure(i, describe_exception("reset(seed=%d)" % seed))
        if type(result) is not tuple or len(result) != 2:
            raise Failure(i, "reset(seed=%d) returned %s; Gymnasium's API returns 2 values: (obs, info)"
                          % (seed, arity(result)))
        obs = result[0]
        slot.elapsed = 0
        slot.obs = obs
        out[:] = self.flat_obs(i, obs, "reset(seed=%d)" % seed)

    def reset(self, payload):
        (k,) = struct.unpack_from("<I", payload)
        pairs = np.frombuffer(payload, dtype=np.dtype([("i", "<u4"), ("s", "<u8")]), count=k, offset=4)
        out = np.empty((k, self.obs_size), dtype=np.float32)
        for j in range(k):
            self.do_reset(int(pairs["i"][j]), int(pairs["s"][j]), out[j])
        return out.tobytes()

    def step(self, payload):
        (k, autoreset) = struct.unpack_from("<IB", payload)
        off = 5
        idx = np.frombuffer(payload, dtype="<u4", count=k, offset=off).tolist()
        off += 4 * k
        if self.action_shape is None:
            actions = (np.frombuffer(payload, dtype="<i4", count=k, offset=off) + self.action_discrete_start).tolist()
            off += 4 * k
        else:
            d = int(np.prod(self.action_shape)) if self.action_shape else 1
            flat = np.frombuffer(payload, dtype="<f4", count=k * d, offset=off)
            off += 4 * k * d
            actions = [flat[j * d:(j + 1) * d].reshape(self.action_shape).astype(self.action_dtype) for j in range(k)]
        seeds = np.frombuffer(payload, dtype="<u8", count=k, offset=off).tolist() if autoreset else None
        obs_out = np.empty((k, self.obs_size), dtype=np.float32)
        rewards = np.empty(k, dtype=np.float64)
        terminated = np.zeros(k, dtype=np.uint8)
        truncated = np.zeros(k, dtype=np.uint8)
        resets = []
        slots = self.slots
        max_steps = self.max_steps
        for j in range(k):
            i = idx[j]
            slot = slots[i]
            try:
                result = slot.env.step(actions[j])
            except Exception:
                raise Failure(i, describe_exception("step(%r)" % (actions[j],)))
            if type(result) is not tuple or len(result) != 5:
                raise Failure(i, "step(%r) returned %s; Gymnasium's API returns 5 values: "
                              "(obs, reward, terminated, truncated, info)" % (actions[j], arity(result)))
            obs, reward, term, trunc, _ = result
            slot.elapsed += 1
            slot.obs = obs
            flat = np.asarray(obs, dtype=np.float32).reshape(-1) if self.obs_discrete_start is None else None
            if flat is None or flat.shape[0] != self.obs_size:
                flat = self.flat_obs(i, obs, "step(%r)" % (actions[j],))
            obs_out[j] = flat
            try:
                rewards[j] = reward
            except (TypeError, ValueError):
                raise Failure(i, "step(%r) returned the reward %r; it must be a number" % (actions[j], reward))
            if term:
                terminated[j] = 1
            if trunc or (max_steps and slot.elapsed >= max_steps):
                truncated[j] = 1
            if autoreset and (terminated[j] or truncated[j]):
                row = np.empty(self.obs_size, dtype=np.float32)
                self.do_reset(i, seeds[j], row)
                resets.append(row)
        parts = [obs_out.tobytes(), rewards.tobytes(), terminated.tobytes(), truncated.tobytes()]
        parts.extend(r.tobytes() for r in resets)
        return b"".join(parts)

    # --- state -------------------------------------------------------------------------------------
    def get_state(self, payload):
        (k,) = struct.unpack_from("<I", payload)
        idx = np.frombuffer(payload, dtype="<u4", count=k, offset=4).tolist()
        parts = []
        for i in idx:
            slot = self.slots[i]
            try:
                data = pickle.dumps((slot.env, slot.elapsed, slot.obs), protocol=4)
            except Exception as e:
                raise Failure(i, "pickle.dumps(%r) failed: %s: %s" % (slot.env, type(e).__name__, e), UNPICKLABLE)
            parts.append(struct.pack("<I", len(data)))
            parts.append(data)
        return b"".join(parts)

    def set_state(self, payload):
        (k,) = struct.unpack_from("<I", payload)
        off = 4
        out = np.empty((k, self.obs_size), dtype=np.float32)
        for j in range(k):
            i, elapsed, n = struct.unpack_from("<IiI", payload, off)
            off += 12
            try:
                env, _, obs = pickle.loads(payload[off:off + n])
            except Exception:
                raise Failure(i, describe_exception("pickle.loads of the environment's saved state"), UNPICKLABLE)
            off += n
            slot = self.slots[i]
            slot.env = env
            slot.elapsed = elapsed
            slot.obs = obs
            out[j] = self.flat_obs(i, obs, "the saved state") if obs is not None else 0.0
        return out.tobytes()

    def close_env(self, payload):
        (i,) = struct.unpack_from("<I", payload)
        slot = self.slots[i]
        if slot.env is not None and hasattr(slot.env, "close"):
            try:
                slot.env.close()
            except Exception:
                pass
        slot.env = None
        slot.obs = None
        return b""

    # Golden-trace replay (tests): env.unwrapped.state and the step counters, as float64.
    def set_trace_state(self, payload):
        i, elapsed, n = struct.unpack_from("<IiI", payload)
        state = np.frombuffer(payload, dtype="<f8", count=n, offset=12).copy()
        slot = self.slots[i]
        getattr(slot.env, "unwrapped", slot.env).state = state
        slot.elapsed = elapsed
        env = slot.env
        while env is not None:
            if hasattr(env, "_elapsed_steps"):
                env._elapsed_steps = elapsed
            if hasattr(env, "_has_reset"):  # gymnasium.make's OrderEnforcing: the state set is a started episode
                env._has_reset = True
            env = getattr(env, "env", None)
        return b""

    def get_trace_state(self, payload):
        (i,) = struct.unpack_from("<I", payload)
        slot = self.slots[i]
        return np.asarray(getattr(slot.env, "unwrapped", slot.env).state, dtype="<f8").tobytes()

    def serve(self, inp):
        handlers = {HELLO: self.hello, ADD: self.add, RESET: self.reset, STEP: self.step,
                    GET_STATE: self.get_state, SET_STATE: self.set_state, CLOSE_ENV: self.close_env,
                    SET_TRACE_STATE: self.set_trace_state, GET_TRACE_STATE: self.get_trace_state}
        out = self.out
        while True:
            header = read_exactly(inp, HEADER.size)
            if header is None:
                return
            op, length = HEADER.unpack(header)
            payload = read_exactly(inp, length) if length else b""
            if payload is None:
                return
            try:
                handler = handlers.get(op)
                if handler is None:
                    raise Failure(-1, "unknown request %d" % op)
                reply = handler(payload)
                out.write(HEADER.pack(OK, len(reply)))
                out.write(reply)
            except Failure as f:
                send_error(out, f.status, f.index, f.message)
            except Exception:
                send_error(out, ERROR, -1, describe_exception("the worker"))
            out.flush()


def arity(result):
    if type(result) is tuple:
        return "%d values" % len(result)
    return "a %s, not a tuple" % type(result).__name__


def send_error(out, status, index, message):
    data = struct.pack("<i", index) + message.encode("utf-8", "replace")
    out.write(HEADER.pack(status, len(data)))
    out.write(data)


def read_exactly(inp, n):
    data = inp.read(n)
    if not data:
        return None
    while len(data) < n:
        more = inp.read(n - len(data))
        if not more:
            return None
        data += more
    return data


def main():
    inp = io.open(os.dup(0), "rb", buffering=1 << 16)
    out = io.open(os.dup(1), "wb", buffering=1 << 16)
    os.dup2(2, 1)  # the environments' prints (even from C) go to standard error
    sys.stdout = sys.stderr
    threading.Thread(target=watch_parent, daemon=True).start()
    Worker(out).serve(inp)


if __name__ == "__main__":
    main()
