"""LiteLLM's own /metrics (its ``prometheus`` callback) as the twin's traffic would have produced it.

Names, types and label sets follow ``litellm/integrations/prometheus.py``: counters registered without
``_total`` (so the exposition ends in ``_total``), request-level families labelled with the key hash,
key alias, team, user and end user (the high-cardinality labels the llmon exporter drops), deployment
families labelled with ``litellm_model_name``, ``model_id``, ``api_base`` and ``api_provider``.
Counters count from the twin's clock origin, like a proxy process started then.
"""

from __future__ import annotations

import math

from mock.twins.litellm.state import Gateway

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 420, 600)
#: Median total latency and time to first token per provider (seconds), log-normal with sigma 0.6.
_MEDIANS = {"openai": (2.4, 0.45), "anthropic": (3.6, 0.8), "hosted_vllm": (1.3, 0.12)}
_SIGMA = 0.6
#: Failed calls per cooldown (LiteLLM cools a deployment down after allowed_fails within a minute).
FAILS_PER_COOLDOWN = 25.0


def _cdf(value: float, median: float) -> float:
    return 0.5 * (1.0 + math.erf(math.log(value / median) / (_SIGMA * math.sqrt(2.0))))


def _labels(pairs: dict[str, str]) -> str:
    def escape(v: str) -> str:
        return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in pairs.items()) + "}"


def _histogram(lines: list[str], name: str, labels: dict[str, str], count: float, median: float) -> None:
    whole = math.floor(count)
    for bound in LATENCY_BUCKETS:
        lines.append(
            f"{name}_bucket{_labels({**labels, 'le': str(float(bound))})} "
            f"{math.floor(whole * _cdf(bound, median))}"
        )
    lines.append(f"{name}_bucket{_labels({**labels, 'le': '+Inf'})} {whole}")
    lines.append(f"{name}_count{_labels(labels)} {whole}")
    lines.append(f"{name}_sum{_labels(labels)} {whole * median * math.exp(_SIGMA**2 / 2):.6f}")


HELP = {
    "litellm_request_total_latency_metric": "Total latency (seconds) for a request to LiteLLM",
    "litellm_llm_api_time_to_first_token_metric": "Time to first token for a models LLM API call",
    "litellm_proxy_total_requests_metric_total": "Total number of requests made to the proxy server - "
    "track number of client side requests",
    "litellm_proxy_failed_requests_metric_total": "Total number of failed responses from proxy - "
    "the client did not get a success response from litellm proxy",
    "litellm_deployment_state": "LLM Deployment Analytics - The state of the deployment: "
    "0 = healthy, 1 = partial outage, 2 = complete outage",
    "litellm_deployment_cooled_down_total": "LLM Deployment Analytics - Number of times a deployment has "
    "been cooled down by LiteLLM load balancing logic",
    "litellm_deployment_successful_fallbacks_total": "LLM Deployment Analytics - Number of successful "
    "fallback requests from primary model -> fallback model",
}
KINDS = {
    "litellm_request_total_latency_metric": "histogram",
    "litellm_llm_api_time_to_first_token_metric": "histogram",
    "litellm_deployment_state": "gauge",
}


def _request_labels(gateway: Gateway, token: str, model_name: str) -> dict[str, str]:
    key = gateway.world.keys[token]
    team = gateway.world.teams.get(key.team_id or "")
    user = gateway.world.users.get(key.user_id or "")
    return {
        "end_user": "",
        "hashed_api_key": token,
        "api_key_alias": key.alias or "",
        "requested_model": model_name,
        "team": key.team_id or "",
        "team_alias": team.alias if team else "",
        "user": key.user_id or "",
        "user_email": (user.email or "") if user else "",
        "model_group": model_name,
    }


def render_metrics(gateway: Gateway) -> str:
    """The text exposition of LiteLLM's families for the gateway's traffic since the clock origin."""
    models = {m.model_name: m for m in gateway.world.models}
    families: dict[str, list[str]] = {name: [] for name in HELP}
    client = {"route": "/chat/completions", "client_ip": "10.0.3.17", "user_agent": "OpenAI/Python 1.54.4"}
    failed_by_model: dict[str, float] = {}
    for (token, model_name), (ok, failed) in sorted(gateway.since_origin.items()):
        request = _request_labels(gateway, token, model_name)
        model = models[model_name]
        latency, ttft = _MEDIANS.get(model.provider, (2.0, 0.4))
        name = "litellm_request_total_latency_metric"
        _histogram(families[name], name, request, ok, latency)
        if "embedding" not in model_name:
            name = "litellm_llm_api_time_to_first_token_metric"
            _histogram(families[name], name, request, ok, ttft)
        name = "litellm_proxy_total_requests_metric_total"
        families[name].append(
            f"{name}{_labels({**request, 'status_code': '200', **client})} {math.floor(ok)}"
        )
        failed_by_model[model_name] = failed_by_model.get(model_name, 0.0) + failed
        if failed >= 1:
            name = "litellm_proxy_failed_requests_metric_total"
            labels = {
                **request,
                "exception_status": "503",
                "exception_class": "ServiceUnavailableError",
                **client,
            }
            families[name].append(f"{name}{_labels(labels)} {math.floor(failed)}")
    failing = gateway.targets.failing_providers
    for model in gateway.world.models:
        deployment = {
            "litellm_model_name": model.litellm_model,
            "model_id": model.model_id,
            "api_base": model.api_base or f"https://api.{model.provider}.com/v1",
            "api_provider": model.provider,
        }
        ratio = failing.get(model.provider, 0.0)
        state = 0 if ratio == 0 else (2 if ratio >= 0.5 else 1)
        families["litellm_deployment_state"].append(f"litellm_deployment_state{_labels(deployment)} {state}")
        failed = failed_by_model.get(model.model_name, 0.0)
        name = "litellm_deployment_cooled_down_total"
        cooldowns = math.floor(failed / FAILS_PER_COOLDOWN)
        families[name].append(f"{name}{_labels({**deployment, 'exception_status': '503'})} {cooldowns}")
        if failed >= 1 and "embedding" not in model.model_name:
            name = "litellm_deployment_successful_fallbacks_total"
            labels = {
                "requested_model": model.model_name,
                "fallback_model": "gpt-4o",
                "hashed_api_key": "",
                "api_key_alias": "",
                "team": "",
                "team_alias": "",
                "exception_status": "503",
                "exception_class": "ServiceUnavailableError",
            }
            families[name].append(f"{name}{_labels(labels)} {math.floor(failed)}")
    out: list[str] = []
    for name, lines in families.items():
        out.append(f"# HELP {name} {HELP[name]}")
        out.append(f"# TYPE {name} {KINDS.get(name, 'counter')}")
        out.extend(lines)
    return "\n".join(out) + "\n"
