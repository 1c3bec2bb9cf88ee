"""A real load balancer in front of the bot's instances: Debian's HAProxy, round-robin, no stickiness.

Everything is on loopback; the configuration is written to a folder of the test's own and HAProxy runs
in the foreground as a managed child process (its own process group, stopped after the test even when
the test fails). Each response names the instance that served it in `INSTANCE_HEADER`, and HAProxy
logs one line per request with that name, so a test can prove where each message went.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Self

from benchmarks.serving import LOOPBACK, free_port
from tests.support.processes import ManagedProcess, StartedInWith, missing

HAPROXY = "haproxy"
INSTANCE_HEADER = "X-Served-By"
"""The response header in which the balancer names the instance (its server name) that answered."""

HOW_TO_GET_HAPROXY = (
    "Install Debian's package: `sudo apt-get update && sudo apt-get install -y haproxy` (.ci/run does it)."
)

# Round-robin over every instance with no cookie and no stickiness, as Azure Bot Service spreads a
# conversation's messages. A request whose connection an instance refuses (it was killed) is sent to
# the next one (`redispatch`): a connection that never opened cannot have delivered the message. A
# request an instance accepted is never sent twice. Health checks on /healthz take a dead instance
# out of the rotation within a few seconds, and tolerate an instance slowed down by a busy machine.
_CONFIG = """\
global
    log stdout format raw local0 info
    maxconn 2000

defaults
    mode http
    log global
    option dontlognull
    log-format "request %ci:%cp server=%s status=%ST response_ms=%Tr %{{+Q}}r"
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    retries 3
    option redispatch 1
    retry-on conn-failure

frontend bots
    bind {host}:{port}
    default_backend instances

backend instances
    balance roundrobin
    option httpchk GET /healthz
    timeout check 3s
    default-server check inter 1s fall 3 rise 1
    http-response set-header {header} %s
{servers}
"""


class LoadBalancer(StartedInWith):
    """HAProxy on a free loopback port, spreading requests round-robin over `instances`
    (a server name and its `host:port` each)."""

    def __init__(self, instances: Mapping[str, str], workdir: Path) -> None:
        haproxy = shutil.which(HAPROXY)
        if haproxy is None:
            missing("HAProxy", HOW_TO_GET_HAPROXY)
        self._haproxy = haproxy
        self.port = free_port()
        self.url = f"http://{LOOPBACK}:{self.port}"
        self.endpoint = f"{self.url}/api/messages"
        self._workdir = workdir
        self._config = workdir / "haproxy.cfg"
        servers = "\n".join(f"    server {name} {address}" for name, address in instances.items())
        self._config.write_text(
            _CONFIG.format(host=LOOPBACK, port=self.port, header=INSTANCE_HEADER, servers=servers)
        )
        self.process = ManagedProcess("haproxy", workdir / "haproxy.log")

    @property
    def log(self) -> str:
        """What HAProxy wrote: one `request … server=<name> …` line per request, and its warnings."""
        return self.process.output()

    def start(self) -> Self:
        """Start HAProxy and wait until its port accepts connections."""
        self.spawn()
        self.wait_until_listening()
        return self

    def spawn(self) -> None:
        """Start HAProxy in the foreground (`-db`), without waiting for it."""
        self.process.spawn([self._haproxy, "-db", "-f", str(self._config)], cwd=self._workdir, env={})

    def wait_until_listening(self) -> None:
        """Wait until HAProxy's port accepts connections; fail if it exits (a bad configuration)."""
        self.process.wait_until(self._listening, timeout=10.0, what=f"HAProxy listening on {self.url}")

    def stop(self) -> None:
        """Stop HAProxy's process group."""
        self.process.stop()

    def _listening(self) -> bool:
        try:
            with socket.create_connection((LOOPBACK, self.port), timeout=0.5):
                return True
        except OSError:
            return False
