"""Print every ratio benchmark of DESIGN §5 (same as `featlearn bench`); pass --quick for small sizes."""

import json
import sys

import featlearn  # noqa: F401  (float64)
from featlearn.cli.bench import collect

if __name__ == "__main__":
    print(json.dumps(collect(quick="--quick" in sys.argv), indent=2))
