"""The GPU twin: an NVML stand-in module whose GPUs follow the scenario engine.

- skus.py: what each real SKU reports and which NVML calls it answers NotSupported (from nvidia-smi -q
  captures: GeForce has no ECC, row remapping or MIG; passively cooled boards have no fan; ...);
- targets.py: the ``gpu:`` section of a scenario phase;
- mock/seed/gpus.py (not here): the GPUs, MIG instances and non-container GPU processes of the seed;
- state.py: the GPUs' state at scenario time t (pure, like mock/engine.py);
- nvml.py: the stand-in module the exporter loads with ``--gpu.backend=mock``;
- proc.py: the fake /proc/<pid>/cgroup files of the GPU processes (``llmon-mock twin gpu``).
"""
