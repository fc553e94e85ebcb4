"""llmon-vllm-exporter: finds every vLLM engine, re-exposes its metrics under the current V1 names
with a ``deployment`` label, and adds health, identity, restarts and Hugging Face model metadata."""
