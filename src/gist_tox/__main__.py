"""Allow ``python -m gist_tox``."""

from gist_tox.cli import main

if __name__ == "__main__":
    main()
