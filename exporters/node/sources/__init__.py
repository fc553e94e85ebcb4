"""Readers of the host's files: the only code that knows procfs, sysfs and os-release formats.

Each returns plain dataclasses and raises CollectError ("io", "malformed", "unsupported") naming the
file when it cannot.
"""
