#!/usr/bin/env python3
"""Coefficients of softplus's polynomial in src/backend/cpu/vector_math.h.

softplus x = max(x, 0) + ln(1 + s) with s = e^(−|x|) in (0, 1], and ln(1 + s) = s·P(u) with P
interpolating ln(1 + s)/s at the Chebyshev points of u = 2s − 1 ∈ [−1, 1] (mpmath's chebyfit;
Debian's python3-mpmath). In u rather than s the coefficients fall by about 3.5 a degree, so
Horner's rule adds no cancellation. P's values lie in [ln 2, 1], where a float's ulp is 6e-8:
degree 9 interpolates within 5.2e-9 (degree 8: 3.3e-8, half an ulp). Printed from the highest
power down, for each degree from 7 to 11.
"""
from mpmath import chebyfit, log1p, mp, mpf

mp.dps = 40


def p_of(u):
    s = (u + 1) / 2
    return mpf(1) if s < mpf("1e-30") else log1p(s) / s


for degree in range(7, 12):
    coefficients, error = chebyfit(p_of, [-1, 1], degree + 1, error=True)
    print(f"P(u), degree {degree}: max |error| {mp.nstr(error, 3)}")
    print("  " + ", ".join(mp.nstr(c, 17) for c in coefficients))
