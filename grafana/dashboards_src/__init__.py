"""Python sources of the generated Grafana dashboards (see generate.py for the entry point)."""
