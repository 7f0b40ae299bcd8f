"""deep.runtime: Keras on first use, the device it trains on, seeds and peak memory.

Keras is imported inside functions only, so the classic tasks never pay for TensorFlow's import.
"""

from __future__ import annotations

import os
import resource
from pathlib import Path
from typing import Any, Mapping


def keras_module():
    """keras, imported on first use with TensorFlow's C++ chatter turned down."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # tf.data logs harmless C++ "errors" per fit
    import keras

    return keras


def device_info() -> dict[str, Any]:
    """The device the backend trains on: the first GPU it sees (by name), else the CPU."""
    keras = keras_module()
    backend, name = keras.backend.backend(), None
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            name = tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name)
    elif backend == "torch":
        import torch

        name = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    elif backend == "jax":
        import jax

        name = next((str(d.device_kind) for d in jax.devices() if d.platform == "gpu"), None)
    return {"backend": backend, "device": name or "CPU", "gpu": name is not None,
            "precision": "mixed_float16" if name else "float32"}


def prepare_backend(seed: int) -> dict[str, Any]:
    """Seed Python, NumPy and the backend; mixed precision on a GPU; deterministic kernels on the CPU."""
    keras = keras_module()
    info = device_info()
    keras.utils.set_random_seed(int(seed))
    keras.mixed_precision.set_global_policy(info["precision"])
    if info["backend"] == "tensorflow" and not info["gpu"]:
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
    return info


def peak_memory_mb(info: Mapping[str, Any]) -> float:
    """Peak memory of this run: the GPU's peak allocation there, else the process's peak RSS."""
    if info.get("gpu") and info.get("backend") == "tensorflow":
        import tensorflow as tf

        return tf.config.experimental.get_memory_info("GPU:0")["peak"] / 2**20
    if info.get("gpu") and info.get("backend") == "torch":
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    status = Path("/proc/self/status")
    if status.is_file():  # VmHWM: the peak since reset_peak_memory(), so one task's fit, not the whole process
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def reset_peak_memory() -> None:
    """Start a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM); elsewhere a no-op."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
