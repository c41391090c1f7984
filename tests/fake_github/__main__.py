"""Run the fake GitHub standalone: ``python3 -m fake_github --port 8081`` (from tests/).

Tokens default to tok_alice=alice-gh, tok_bob=bob-gh, tok_carol=carol-gh;
pass --token TOKEN=LOGIN (repeatable) to replace them.
"""

import argparse
import signal
import sys
import threading

from .server import FakeGitHub

DEFAULT_TOKENS = {"tok_alice": "alice-gh", "tok_bob": "bob-gh", "tok_carol": "carol-gh"}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m fake_github", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--token", action="append", default=[], metavar="TOKEN=LOGIN")
    ap.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = ap.parse_args(argv)
    tokens = {}
    for spec in args.token:
        tok, sep, login = spec.partition("=")
        if not sep or not tok or not login:
            ap.error(f"--token wants TOKEN=LOGIN, got {spec!r}")
        tokens[tok] = login
    fake = FakeGitHub(tokens or DEFAULT_TOKENS, host=args.host, port=args.port,
                      verbose=args.verbose).start()
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(f"fake_github listening on {fake.url}", flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
