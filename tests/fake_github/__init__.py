"""A fake GitHub REST API for ghpool's tests and benchmarks (stdlib only).

    from fake_github import FakeGitHub
    fake = FakeGitHub({"tok_alice": "alice-gh"}).start()
    ... fake.url ...
    fake.stop()

See server.py for the behaviour and the control API.
"""

from .server import (  # noqa: F401
    BUCKETS,
    DEFAULT_LIMITS,
    FakeGitHub,
    Headers,
    RequestRecord,
)

__all__ = ["FakeGitHub", "RequestRecord", "Headers", "BUCKETS", "DEFAULT_LIMITS"]
