"""Azurite, the Azure Storage emulator that the Blob storage tests run against."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import missing, running

HERE = Path(__file__).parent
AZURITE = HERE / "node_modules" / ".bin" / "azurite-blob"

# Azurite's fixed development account (public, documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@contextmanager
def azurite(workdir: Path) -> Iterator[str]:
    """Azurite's Blob service on a free loopback port, in memory; yields its connection string."""
    if not AZURITE.exists():
        missing("Azurite (npm package azurite)", "Install it with: npm ci --prefix tests/storage")
    argv = [
        str(AZURITE),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        "0",
        "--inMemoryPersistence",
        "--silent",
        "--disableTelemetry",  # Else it sends usage data out.
        # azure-storage-blob 12.7.0 (pinned by botbuilder-azure) sends x-ms-encryption-algorithm on
        # every upload; Azure ignores it, strict Azurite refuses it.
        "--loose",
    ]
    with running(argv, r"listens on http://127\.0\.0\.1:(\d+)", workdir) as ready:
        endpoint = f"http://127.0.0.1:{ready.group(1)}/{AZURITE_ACCOUNT}"
        yield (
            f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint={endpoint};"
        )
