"""llmon-gpu-exporter: NVIDIA GPU metrics from NVML, per GPU and per workload using it."""
