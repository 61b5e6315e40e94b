"""P6 (DESIGN §5): NTK-KRR at n = 20000, d = 100, peak memory and wall time. See featlearn.bench.krr."""

from featlearn.bench.krr import main

if __name__ == "__main__":
    main()
