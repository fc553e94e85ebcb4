"""The host exporter: node_exporter-compatible metrics read from procfs, sysfs and the root filesystem.

`sources` reads and parses the kernel's files into typed data, `collectors` turns that data into
metric families, `config` holds the options and `__main__` wires them into `exporters.base.run`.
"""
