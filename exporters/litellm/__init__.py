"""The LiteLLM exporter: spend, budgets, models and gateway health from LiteLLM's admin API.

LiteLLM's own /metrics is per process, labelled with key hashes, e-mails and client IPs, and knows a
budget only after traffic for it flowed; the admin API (master key) knows every key, team and model.
`client` speaks HTTP (auth, Retry-After, backoff), `activity` turns the daily-activity endpoints into
monotonic counters, `admin` builds the key/team/model gauges, `scrape` optionally re-exposes LiteLLM's
latency and deployment families without their high-cardinality labels, `state` keeps the counters
across restarts (``--state.file``), `config` holds the options.
"""
