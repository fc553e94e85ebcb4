"""The LiteLLM proxy twin: its admin API served from the seed and the scenario engine."""
