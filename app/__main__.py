import sys

from app.cli.main import main

if __name__ == "__main__":  # spawned verifier processes import this module too
    sys.exit(main())
