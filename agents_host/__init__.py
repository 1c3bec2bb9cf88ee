"""The second host: the same chat answer on the Microsoft 365 Agents SDK (issue 12).

Only this package imports the Agents SDK; it runs in its own environment (agents_host/venv.py).
`agents_host.venv` uses the standard library only, so the main environment can build that one.
"""
