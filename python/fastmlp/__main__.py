"""`python -m fastmlp` and the `fastmlp` console script: see fastmlp.cli."""
import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
