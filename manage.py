#!/usr/bin/env python
"""Django's command-line utility for the register site."""

import os
import sys
from pathlib import Path


def main():
    # site/ is a plain folder (a package named "site" would shadow Python's own
    # module), so it is put on the import path rather than imported.
    sys.path.insert(0, str(Path(__file__).resolve().parent / "site"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
