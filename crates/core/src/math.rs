//! `exp2` and `pow` in plain IEEE arithmetic, for engagement decay and calculator formulas.
//!
//! Why not libm or std: std's `powf`/`exp2` call the platform's libm, whose last bits
//! differ between the browser and the server, and the `libm` crate's `exp2` carries a
//! 4 KB table of doubles that brotli cannot shrink (4 % of the widget's byte budget).
//! These versions use only `+ - * /` and exact bit operations, which every IEEE 754
//! platform rounds the same way, so the widget's preliminary score and the collector's
//! score agree to the bit. Accuracy: within a few units in the last place (tested against
//! std below), far finer than the two decimals a score or a calculator shows.

const LN_2: f64 = std::f64::consts::LN_2;
const LOG2_E: f64 = std::f64::consts::LOG2_E;

/// 2^k for an integer k in the normal range -1022..=1023, built from its bits.
fn two_to(k: i64) -> f64 {
    f64::from_bits(((k + 1023) as u64) << 52)
}

/// 2 raised to `x`.
pub fn exp2(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x >= 1024.0 {
        return f64::INFINITY;
    }
    if x < -1080.0 {
        return 0.0;
    }
    // x = n + f with |f| <= 1/2 (exact), and 2^f = e^t with |t| <= ln 2 / 2 < 0.35,
    // where the Taylor series to t^13 is exact to below half an ulp.
    let n = x.round();
    let t = (x - n) * LN_2;
    let mut p = 1.0;
    for k in (1..=13).rev() {
        p = 1.0 + t * p / k as f64;
    }
    let n = n as i64;
    if n > 1023 {
        p * two_to(1023) * two_to(n - 1023)
    } else if n < -1022 {
        p * two_to(-1022) * two_to(n + 1022)
    } else {
        p * two_to(n)
    }
}

/// log2 of a positive, finite `x`.
fn log2(x: f64) -> f64 {
    let (x, bias) = if x < f64::MIN_POSITIVE {
        (x * two_to(54), -54)
    } else {
        (x, 0)
    };
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023 + bias;
    // The mantissa m in [1, 2), then moved to [sqrt(1/2), sqrt(2)) so that
    // s = (m - 1) / (m + 1) stays below 0.172 and ln m = 2 atanh s converges fast.
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    let s = (m - 1.0) / (m + 1.0);
    let s2 = s * s;
    let mut series = 0.0;
    for k in (0..=12).rev() {
        series = 1.0 / (2 * k + 1) as f64 + s2 * series;
    }
    e as f64 + 2.0 * s * series * LOG2_E
}

/// `base` raised to `exp`, with IEEE `pow`'s special cases (0^0 = 1, a negative base
/// with a fractional exponent is NaN). Integer exponents multiply exactly as a pocket
/// calculator does, so `1.05 ^ 10` and `10 ^ 2` need no logarithm.
pub fn pow(base: f64, exp: f64) -> f64 {
    if exp == 0.0 || base == 1.0 {
        return 1.0;
    }
    if base.is_nan() || exp.is_nan() {
        return f64::NAN;
    }
    if exp.fract() == 0.0 && exp.abs() <= 1_048_576.0 {
        let mut n = exp.abs() as u64;
        let (mut square, mut result) = (base, 1.0);
        while n > 0 {
            if n & 1 == 1 {
                result *= square;
            }
            square *= square;
            n >>= 1;
        }
        return if exp < 0.0 { 1.0 / result } else { result };
    }
    if base < 0.0 {
        // Only integer exponents (handled above, or too large to be odd) have a real result.
        return if exp.fract() == 0.0 {
            pow(-base, exp)
        } else {
            f64::NAN
        };
    }
    if base == 0.0 {
        return if exp > 0.0 { 0.0 } else { f64::INFINITY };
    }
    if base.is_infinite() {
        return if exp > 0.0 { f64::INFINITY } else { 0.0 };
    }
    exp2(exp * log2(base))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place.
    fn ulps(a: f64, b: f64) -> u64 {
        if a == b {
            return 0;
        }
        (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs()
    }

    /// A deterministic spread of inputs (xorshift), so failures reproduce.
    fn inputs(count: usize, lo: f64, hi: f64) -> Vec<f64> {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        (0..count)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                lo + (hi - lo) * ((state >> 11) as f64 / (1u64 << 53) as f64)
            })
            .collect()
    }

    #[test]
    fn exp2_matches_std_within_two_ulps() {
        for x in inputs(20_000, -1000.0, 1000.0)
            .into_iter()
            .chain(inputs(20_000, -4.0, 4.0))
        {
            let (ours, std) = (exp2(x), x.exp2());
            assert!(ulps(ours, std) <= 2, "exp2({x}) = {ours}, std {std}");
        }
        for k in -1022..=1023 {
            assert_eq!(exp2(k as f64), 2f64.powi(k), "2^{k} is exact");
        }
        assert_eq!(exp2(1024.0), f64::INFINITY);
        assert_eq!(exp2(-1100.0), 0.0);
        assert!(exp2(-1074.0) > 0.0, "the smallest subnormal");
        assert!(exp2(f64::NAN).is_nan());
        assert_eq!(exp2(f64::NEG_INFINITY), 0.0);
    }

    #[test]
    fn log2_matches_std() {
        for x in inputs(20_000, 1e-6, 1e6)
            .into_iter()
            .chain(inputs(20_000, 0.5, 2.0))
            .chain([f64::MIN_POSITIVE / 8.0, 1e-300, 1e300, 3.0])
        {
            let (ours, std) = (log2(x), x.log2());
            assert!(
                (ours - std).abs() <= 4.0 * f64::EPSILON * std.abs().max(1.0),
                "log2({x}) = {ours}, std {std}"
            );
        }
        assert_eq!(log2(1.0), 0.0);
        assert_eq!(log2(1024.0), 10.0);
    }

    #[test]
    fn pow_matches_std_closely() {
        let bases = inputs(300, 0.001, 50.0);
        let exps = inputs(300, -30.0, 30.0);
        for (&b, &e) in bases.iter().zip(&exps) {
            let (ours, std) = (pow(b, e), b.powf(e));
            let rel = ((ours - std) / std).abs();
            assert!(rel < 1e-13, "pow({b}, {e}) = {ours}, std {std}");
        }
        // The calculator cases: compound growth and powers of ten are exact or nearly.
        assert_eq!(pow(10.0, 2.0), 100.0);
        assert_eq!(pow(10.0, -2.0), 0.01);
        assert!(ulps(pow(2.0, 0.5), std::f64::consts::SQRT_2) <= 1);
        assert!(ulps(pow(1.05, 10.0), 1.05f64.powi(10)) <= 2);
        assert_eq!(pow(-2.0, 3.0), -8.0);
        assert_eq!(pow(-8.0, 2.0), 64.0);
        assert!(pow(-8.0, 1.0 / 3.0).is_nan());
        assert_eq!(pow(0.0, 0.0), 1.0);
        assert_eq!(pow(f64::NAN, 0.0), 1.0);
        assert_eq!(pow(0.0, 2.0), 0.0);
        assert_eq!(pow(0.0, -1.0), f64::INFINITY);
        assert_eq!(pow(0.0, 0.5), 0.0);
        assert_eq!(pow(f64::INFINITY, -1.0), 0.0);
        assert_eq!(pow(4.0, 0.5), 2.0);
        assert!(pow(f64::NAN, 2.0).is_nan());
        assert_eq!(pow(-2.0, 1e20), f64::INFINITY);
        assert_eq!(pow(0.5, 1e20), 0.0);
    }
}
