"""The one device and precision policy (session/devices.py)."""

import pytest
import torch

from genie_studio.session import devices


def test_auto_device_is_cpu_without_a_gpu():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert devices.resolve_device("auto") == expected
    assert devices.resolve_device(None) == expected


def test_cuda_without_gpu_and_unknown_devices_are_refused():
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            devices.resolve_device("cuda")
    with pytest.raises(ValueError, match="use auto, cpu or cuda"):
        devices.resolve_device("tpu")


def test_auto_precision_follows_the_cpu_instructions(monkeypatch):
    assert devices.resolve_precision("auto", "cuda") == "bf16"
    monkeypatch.setattr(devices, "_cpu_has_bf16", lambda: True)
    assert devices.resolve_precision("auto", "cpu") == "bf16"
    monkeypatch.setattr(devices, "_cpu_has_bf16", lambda: False)
    assert devices.resolve_precision(None, "cpu") == "fp32"
    assert devices.resolve_precision("BF16", "cpu") == "bf16"  # an explicit choice is kept
    with pytest.raises(ValueError, match="auto, bf16 or fp32"):
        devices.resolve_precision("int4", "cpu")

