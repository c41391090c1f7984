"""Run a fake cloud standalone (from tests/): ``python3 -m fake_cloud PROVIDER [options]``.

    python3 -m fake_cloud aws --port 0      # prints "... listening on http://127.0.0.1:PORT"
    python3 -m fake_cloud aws --help
    python3 -m fake_cloud gcp ...           # once fake_cloud/gcp.py exists

PROVIDER names a module of this package (see PROVIDERS in __init__.py) whose
``main(argv) -> int`` gets the remaining arguments.
"""

import importlib
import sys

from . import PROVIDERS


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    names = "|".join(PROVIDERS)
    if not argv or argv[0] in ("-h", "--help"):
        print(f"usage: python3 -m fake_cloud {{{names}}} [options]\n\n{__doc__}",
              file=sys.stderr if not argv else sys.stdout)
        return 2 if not argv else 0
    provider, rest = argv[0], argv[1:]
    if provider not in PROVIDERS:
        print(f"python3 -m fake_cloud: unknown provider {provider!r} (one of {names})",
              file=sys.stderr)
        return 2
    try:
        mod = importlib.import_module(f"{__package__}.{PROVIDERS[provider]}")
    except ModuleNotFoundError as e:
        if e.name != f"{__package__}.{PROVIDERS[provider]}":
            raise
        print(f"python3 -m fake_cloud: the {provider} fake (fake_cloud/{PROVIDERS[provider]}.py)"
              " is not available", file=sys.stderr)
        return 2
    return mod.main(rest)


if __name__ == "__main__":
    sys.exit(main())
