"""The vLLM twin: OpenAI-compatible vLLM engines whose metrics and latencies follow the scenario."""
