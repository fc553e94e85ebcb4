"""The container exporter: Docker containers' state, health, restarts and resource use, and their GPUs.

`api` is the only code that talks to the Docker Engine (through the `docker` SDK) and maps its
failures to collect-error reasons; `parse` turns the daemon's JSON into typed values (working set
as the docker CLI and cAdvisor compute it, cgroup v1 and v2); `cycle` runs one bounded, concurrent
collection; `collector` and `events` are the Sources; `config` holds the options.
"""
