"""Static facts of the mocked LLM application that Langfuse traces: models, observation kinds, scores.

The seed (mock/seed/langfuse.py) jitters these per seed and stores them; the scenario block validates
model and score names against them without opening a database.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelProfile:
    """One model as the application calls it: list prices and a typical request."""

    name: str
    share: float  # of main generations in calm traffic
    input_price: float  # USD per input token
    output_price: float  # USD per output token
    input_tokens: float  # median
    output_tokens: float  # median
    ttft_s: float  # median time to first token
    itl_s: float  # seconds per output token after the first
    helpfulness: float  # mean of the "helpfulness" score of its answers


MODELS: tuple[ModelProfile, ...] = (
    ModelProfile("gpt-4o", 0.30, 2.5e-6, 1.0e-5, 900, 260, 0.45, 0.012, 0.84),
    ModelProfile("gpt-4o-mini", 0.25, 1.5e-7, 6.0e-7, 800, 220, 0.30, 0.008, 0.76),
    ModelProfile("claude-3-5-sonnet-20241022", 0.15, 3.0e-6, 1.5e-5, 1000, 300, 0.60, 0.014, 0.86),
    ModelProfile("llama-3.1-70b", 0.20, 4.0e-7, 8.0e-7, 850, 240, 0.18, 0.020, 0.74),
    ModelProfile("qwen2.5-7b", 0.10, 5.0e-8, 1.0e-7, 700, 200, 0.08, 0.009, 0.55),
)
MODEL_NAMES: tuple[str, ...] = tuple(m.name for m in MODELS)
#: The model of the secondary ("rerank") generation.
SECONDARY_MODEL = "gpt-4o-mini"

#: Score names and their data types; the application's evaluator, users and annotators produce them.
NUMERIC_SCORE = "helpfulness"
BOOLEAN_SCORE = "user-feedback"
CATEGORICAL_SCORE = "tone"
SCORE_TYPES: dict[str, str] = {
    NUMERIC_SCORE: "NUMERIC",
    BOOLEAN_SCORE: "BOOLEAN",
    CATEGORICAL_SCORE: "CATEGORICAL",
}
SCORE_SOURCES: dict[str, str] = {NUMERIC_SCORE: "EVAL", BOOLEAN_SCORE: "API", CATEGORICAL_SCORE: "ANNOTATION"}
TONES: tuple[str, ...] = ("friendly", "neutral", "rude")

TRACE_NAMES: tuple[str, ...] = ("chat", "rag-query", "summarize")
ENVIRONMENTS: tuple[str, ...] = ("production", "staging")
