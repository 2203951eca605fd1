#!/usr/bin/env python3
"""Coefficients of the two polynomials of erf in src/backend/cpu/vector_math.h.

Both interpolate at the Chebyshev points (mpmath's chebyfit; Debian's python3-mpmath). Printed
from the highest power down.

- P: erf x = x·P(x²) for |x| < 1, P interpolating erf(√s)/√s on s ∈ [0, 1]. Degree 6: relative
  error 1.5e-9 (degree 5: 4.8e-8, near float's 6e-8).
- Q: erf x = 1 − e^(−x²)·Q(u) for 1 ≤ |x| < 3.92, Q interpolating erfc(x)·e^(x²) in
  u = (x − 2.46)/1.46 ∈ [−1, 1] (the interval mapped onto [−1, 1], so that the powers of u stay
  below 1 and Horner's rule does not cancel). Degree 12: 1.4e-9 (relative 6.4e-9 at its
  smallest value); degree 10 reaches 3e-7. Past 3.92 erf rounds to 1 in float.
"""
from mpmath import chebyfit, erf, erfc, exp, mp, mpf, sqrt

mp.dps = 40
LO, HI = mpf(1), mpf("3.92")
CENTER, HALF = (LO + HI) / 2, (HI - LO) / 2


def p_of(s):
    if s < mpf("1e-30"):
        return 2 / sqrt(mp.pi)
    x = sqrt(s)
    return erf(x) / x


def q_of(u):
    x = CENTER + HALF * u
    return erfc(x) * exp(x * x)


for name, f, interval, degree in (("P(s)", p_of, [0, 1], 6), ("Q(u)", q_of, [-1, 1], 12)):
    coefficients, error = chebyfit(f, interval, degree + 1, error=True)
    print(f"{name}, degree {degree}: max |error| {mp.nstr(error, 3)}")
    print("  " + ", ".join(mp.nstr(c, 17) for c in coefficients))
print(f"u = (|x| - {mp.nstr(CENTER, 17)}) * {mp.nstr(1 / HALF, 17)}")
