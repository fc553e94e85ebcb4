"""The Langfuse exporter: generations, tokens, cost, latency, scores and errors from Langfuse's public API.

Langfuse has no Prometheus endpoint. This exporter reads its public API with a project's key pair:
`client` speaks HTTP (Basic auth, per-resource rate limits, Retry-After, backoff, request counts),
`surfaces` knows the three read surfaces (v4, v3, v2) and how to fall back between them, `records`
turns observations and scores of any version into normalised records, `stream` reads them by time
window with watermarks, overlap and dedupe, `totals` holds the counters and histograms (and is what a
state file saves), `reconcile` spends the small metrics-API budget on counting late arrivals, and
`sources` ties them to the exporter base.
"""
