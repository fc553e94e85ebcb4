"""The Docker twin: an HTTP server speaking the Docker Engine API subset the `docker` SDK uses.

`world` loads the seeded containers and computes their state from the scenario engine
(mock/engine_containers.py), `payloads` renders that state in the daemon's JSON shapes (cgroup v2 or
v1 stats), `events` turns state changes into the /events stream, `server` routes requests, imitates
the daemon's latencies and error bodies, and lets tests inject faults.
"""
