import sys

from backend.cli import main

if __name__ == "__main__":  # spawned verifier processes import this module too
    sys.exit(main(prog="python -m backend"))
