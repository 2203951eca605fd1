#!/usr/bin/env python3
"""Coefficients of tanh's expm1 polynomial in src/backend/cpu/vector_math.h.

e^r − 1 = r + r²·p(r) on Cody–Waite's interval [−ln2/2, ln2/2]; p interpolates
(e^r − 1 − r)/r² at the Chebyshev points (mpmath's chebyfit, Debian's python3-mpmath), which
is within a small factor of the best polynomial of its degree. Degree 5 is the lowest whose
error (< 1.4e-9 on p ≈ 1/2) stays far below float's 6e-8; degree 4 reaches 6.5e-8.
Prints the coefficients from the highest power down.
"""
from mpmath import chebyfit, exp, log, mp, mpf

mp.dps = 40
half_ln2 = log(2) / 2


def p_exact(r):
    return (exp(r) - 1 - r) / r**2 if abs(r) > mpf("1e-20") else mpf(1) / 2


for degree in (4, 5):
    coefficients, error = chebyfit(p_exact, [-half_ln2, half_ln2], degree + 1, error=True)
    print(f"degree {degree}: max |error| {mp.nstr(error, 3)}")
    print("  " + ", ".join(mp.nstr(c, 20) for c in coefficients))
