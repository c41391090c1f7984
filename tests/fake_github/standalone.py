"""The command line shared by every runnable fake (tests' and benchmarks')."""

import argparse
import signal
import threading


def run(fake_cls, argv, prog: str, doc: str, default_tokens: dict[str, str]) -> int:
    """Parse --host/--port/--token/--verbose, serve until SIGINT or SIGTERM."""
    ap = argparse.ArgumentParser(prog=prog, description=doc,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--token", action="append", default=[], metavar="TOKEN=LOGIN")
    ap.add_argument("--verbose", action="store_true", help="log every request on stderr")
    args = ap.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        ap.error("the fake listens on loopback only")
    tokens = {}
    for spec in args.token:
        tok, sep, login = spec.partition("=")
        if not sep or not tok or not login:
            ap.error(f"--token wants TOKEN=LOGIN, got {spec!r}")
        tokens[tok] = login
    fake = fake_cls(tokens or default_tokens, host=args.host, port=args.port,
                    verbose=args.verbose).start()
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
