#!/usr/bin/env python3
"""Coefficients of the two polynomials of tanh in src/backend/cpu/vector_math.h.

Both interpolate at the Chebyshev points (mpmath's chebyfit; Debian's python3-mpmath), within
a small factor of the best polynomial of their degree. Printed from the highest power down.

- tanh: e^r − 1 = r + r²·p(r) on Cody–Waite's interval [−ln2/2, ln2/2], p interpolating
  (e^r − 1 − r)/r². Degree 5 is the lowest whose error (< 1.4e-9 on p ≈ 1/2) stays far below
  float's 6e-8; degree 4 reaches 6.5e-8.
- tanh_small: tanh x = x + x³·R(x²) for |x| < 1, R interpolating (tanh x − x)/x³ on
  x² ∈ [0, 1]. Degree 7: relative error 7.3e-9 (degree 6: 8.6e-8).
"""
from mpmath import chebyfit, exp, log, mp, mpf, sqrt, tanh

mp.dps = 40


def expm1_tail(r):
    return (exp(r) - 1 - r) / r**2 if abs(r) > mpf("1e-20") else mpf(1) / 2


def tanh_tail(s):
    if s < mpf("1e-30"):
        return mpf(-1) / 3
    x = sqrt(s)
    return (tanh(x) - x) / (s * x)


def show(name, f, interval, degrees):
    for degree in degrees:
        coefficients, error = chebyfit(f, interval, degree + 1, error=True)
        print(f"{name}, degree {degree}: max |error| {mp.nstr(error, 3)}")
        print("  " + ", ".join(mp.nstr(c, 20) for c in coefficients))


show("expm1 p(r)", expm1_tail, [-log(2) / 2, log(2) / 2], (4, 5))
show("tanh_small R(s)", tanh_tail, [0, 1], (6, 7))
