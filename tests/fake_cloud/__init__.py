"""Fakes of cloud credential / secret services for ghpool's tests (standard library only).

    from fake_cloud import FakeAWS
    aws = FakeAWS().start()    # Secrets Manager, STS, ECS / Pod Identity, IMDSv2 on aws.url
    ...
    aws.stop()

Each provider is a module of this package (``aws``; ``gcp`` is written separately). A
provider module defines its fake class(es) and ``main(argv) -> int``, the standalone
runner ``python3 -m fake_cloud <provider> ...`` dispatches to (see __main__.py); a runner
can end with ``serve_until_signal(fake.start(), prog)``.

Names not defined here are looked up in the other provider modules on first use, so
``from fake_cloud import FakeGCP`` works once fake_cloud/gcp.py defines FakeGCP, without
this file naming it.
"""

from __future__ import annotations

import importlib
import signal
import threading
from typing import Any

from .aws import AWSRequest, Credentials, FakeAWS  # noqa: F401

__all__ = ["FakeAWS", "AWSRequest", "Credentials", "serve_until_signal", "PROVIDERS"]

# provider name -> module of this package (the hook for the other providers)
PROVIDERS = {"aws": "aws", "gcp": "gcp"}


def serve_until_signal(fake: Any, prog: str) -> int:
    """Print ``<prog> listening on <url>`` and serve until SIGINT or SIGTERM, then
    ``fake.stop()``. ``fake`` must already be started and have ``url`` and ``stop()``."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(f"{prog} listening on {fake.url}", flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        fake.stop()
    return 0


def __getattr__(name: str) -> Any:
    """``from fake_cloud import X`` for X defined by another provider module (e.g. gcp)."""
    if name.startswith("__"):
        raise AttributeError(name)
    for mod_name in PROVIDERS.values():
        if mod_name == "aws":
            continue
        try:
            mod = importlib.import_module(f"{__name__}.{mod_name}")
        except ModuleNotFoundError as e:
            if e.name == f"{__name__}.{mod_name}":
                continue  # that provider is not written (yet)
            raise
        if hasattr(mod, name):
            return getattr(mod, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
