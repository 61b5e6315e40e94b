"""The GPU check of DESIGN §7.8 (same as `featlearn bench --gpu --json`): G1 and P1 at m = 4096 on the
accelerator JAX sees; prints "skipped" figures on a machine without one. Pass --quick for small sizes."""

import json
import sys

import featlearn  # noqa: F401  (float64)
from featlearn.bench.gpu import gpu

if __name__ == "__main__":
    print(json.dumps(gpu(quick="--quick" in sys.argv), indent=2))
