"""The workspace's own tooling: environment, serving, calling, bundling, deploying, versions.

`tasks.py` wires these modules into `invoke` tasks; each module has one job. Modules that run
in the Python that runs invoke use the standard library only.
"""
