"""Fixed log-linear buckets read straight from the bits of a float64.

A finite float64 is ``sign · 2**e · (1 + f)``. Its bucket key keeps the sign, the 11 exponent
bits and the top ``precision_bits`` (``m``) bits of the 52-bit fraction ``f``:

    key(x) = sign(x) · ((bits(x) & 0x7FFF_FFFF_FFFF_FFFF) >> (52 - m))

Because IEEE-754 orders the bit patterns of positive floats like their values, keys are
monotone in ``x``: sorting keys sorts buckets by value. Each octave ``[2**e, 2**(e+1))`` is cut
into ``2**m`` equal buckets, so a bucket ``[lo, hi)`` has ``(hi - lo) / lo <= 2**-m`` and any
value inside it is within ``(hi - lo) / (hi + lo) < 2**-(m + 1)`` of the bucket's harmonic
midpoint ``2·lo·hi / (lo + hi)`` (relative error; 0.39 % at the default ``m = 7``). This is the
same guarantee as DDSketch's log buckets, but the key is exact integer arithmetic (no
``log`` rounding at bucket edges) and costs a few vectorised integer operations.

The edges depend on nothing but ``m``, so histograms from any two windows or batches merge by
adding counts key by key.

Bucket 0 holds zero (and subnormal magnitudes below ``2**-1022 · 2**-(52 - m)``, which no
feature produces in practice). Positive keys hold ``[lo, hi)``; negative keys hold
``(-hi, -lo]``. Keys fit in int32: ``|key| < 2**(11 + m)``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

DEFAULT_PRECISION_BITS = 7
MIN_PRECISION_BITS = 1
MAX_PRECISION_BITS = 16

_MAGNITUDE_MASK = np.int64(0x7FFF_FFFF_FFFF_FFFF)

FloatArray = npt.NDArray[np.float64]
KeyArray = npt.NDArray[np.int64]


def check_precision_bits(bits: int) -> int:
    if not MIN_PRECISION_BITS <= bits <= MAX_PRECISION_BITS:
        raise ValueError(f"precision_bits must be between {MIN_PRECISION_BITS} and {MAX_PRECISION_BITS}, got {bits}")
    return bits


def bucket_keys(values: FloatArray, precision_bits: int = DEFAULT_PRECISION_BITS) -> KeyArray:
    """Bucket key of each finite float64 in ``values`` (the caller drops NaN and ±inf)."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    magnitude = (bits & _MAGNITUDE_MASK) >> np.int64(52 - precision_bits)
    return np.where(bits < 0, -magnitude, magnitude)


def _magnitude_start(magnitude_keys: KeyArray, precision_bits: int) -> FloatArray:
    """Smallest magnitude whose key is ``magnitude_keys`` (a float64 built from its bits)."""
    bits = np.asarray(magnitude_keys, dtype=np.int64) << np.int64(52 - precision_bits)
    return bits.view(np.float64)


def bucket_bounds(keys: KeyArray, precision_bits: int = DEFAULT_PRECISION_BITS) -> tuple[FloatArray, FloatArray]:
    """Lower and upper value bound of each bucket key.

    Positive key: values in ``[lower, upper)``; negative key: values in ``(lower, upper]``;
    key 0: zero and subnormals. The upper bound of the largest finite bucket is ``inf``.
    """
    keys = np.asarray(keys, dtype=np.int64)
    magnitude = np.abs(keys)
    start = _magnitude_start(magnitude, precision_bits)
    stop = _magnitude_start(magnitude + 1, precision_bits)
    negative = keys < 0
    lower = np.where(negative, -stop, start)
    upper = np.where(negative, -start, stop)
    zero = keys == 0
    lower = np.where(zero, -stop, lower)
    return lower, upper


def bucket_representatives(keys: KeyArray, precision_bits: int = DEFAULT_PRECISION_BITS) -> FloatArray:
    """The value that stands for each bucket: the point with the least worst-case relative error.

    For ``[lo, hi)`` with ``0 < lo`` that is the harmonic midpoint ``2·lo·hi / (lo + hi)``; key 0
    stands for 0.
    """
    keys = np.asarray(keys, dtype=np.int64)
    magnitude = np.abs(keys)
    lo = _magnitude_start(magnitude, precision_bits)
    hi = _magnitude_start(magnitude + 1, precision_bits)
    with np.errstate(over="ignore", invalid="ignore"):
        mid = 2.0 * lo * (hi / (lo + hi))
    mid = np.where(np.isfinite(hi), mid, lo)
    mid = np.where(magnitude == 0, 0.0, mid)
    return np.where(keys < 0, -mid, mid)


def relative_error_bound(precision_bits: int = DEFAULT_PRECISION_BITS) -> float:
    """Largest ``|estimate - x| / |x|`` for any non-zero normal ``x`` and its bucket's representative."""
    step = 2.0**-precision_bits
    return step / (2.0 + step)
