"""The Langfuse twin: Langfuse's public API (v2, v3 and v4 surfaces) over scenario-driven traces."""
