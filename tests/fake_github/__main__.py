"""Run the fake GitHub standalone: ``python3 -m fake_github --port 8081`` (from tests/).

Tokens default to tok_alice=alice-gh, tok_bob=bob-gh, tok_carol=carol-gh;
pass --token TOKEN=LOGIN (repeatable) to replace them.
"""

import sys

from .server import FakeGitHub
from .standalone import run

DEFAULT_TOKENS = {"tok_alice": "alice-gh", "tok_bob": "bob-gh", "tok_carol": "carol-gh"}


def main(argv=None) -> int:
    return run(FakeGitHub, argv, prog="python3 -m fake_github", doc=__doc__,
               default_tokens=DEFAULT_TOKENS)


if __name__ == "__main__":
    sys.exit(main())
