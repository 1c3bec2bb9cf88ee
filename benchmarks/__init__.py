"""Load benchmark of the bot against a local model server and a local Teams-like Bot Connector.

`python -m benchmarks.run` is the one command; see the README's "Benchmark" section.
"""
