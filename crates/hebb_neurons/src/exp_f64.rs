//! # `exp_f64` — `e^x` in `f64` without branches or calls, so loops that use it vectorize
//!
//! `f64::exp` calls the C library's `exp`, which the compiler cannot vectorize: in a neuron
//! kernel that needs one exponential per neuron and right-hand side (`AdEx`) the call costs
//! more than everything else. [`exp`] is plain arithmetic on the value and its bits (no
//! branches, no table), so a loop over neurons that calls it runs 4 lanes wide with AVX2, and
//! the scalar and vector forms give the same bits.
//!
//! Method (Cody & Waite): `x = k·ln 2 + r` with `k = round(x·log2 e)` (the 1.5·2^52 shift
//! trick) and `|r| ≤ ln 2 / 2`, `ln 2` split in two parts (fdlibm's) so `k·ln2_hi` is exact;
//! `e^r` is its Taylor polynomial of degree 13 (truncation below 5e-18 relative), evaluated
//! with Horner's rule; `2^k` is built from the bits of the shifted value. Accuracy: within 1 ulp
//! of the correctly rounded result (tested against the C library on 2·10^6 arguments in
//! [−708, 709]; 90 % agree to the bit). Range: `x > 709` gives `+∞` (the true value
//! overflows at 709.78), `x < −708` gives `0` (the true value is below 3.3e-308), NaN gives NaN.

/// `e^x`, within 1 ulp; see the module docs for the range.
#[inline(always)]
pub fn exp(x: f64) -> f64 {
    const LOG2_E: f64 = std::f64::consts::LOG2_E;
    // fdlibm's split of ln 2: LN2_HI has 32 trailing zero bits, so k·LN2_HI is exact.
    const LN2_HI: f64 = 6.931_471_803_691_238e-1;
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10;
    // 1.5·2^52: adding it rounds to an integer (to nearest, ties to even) kept in the low bits.
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    const HI: f64 = 709.0;
    const LO: f64 = -708.0;
    // 1/n! for n = 2..=13, highest first (Horner).
    const C: [f64; 12] = [
        1.0 / 6_227_020_800.0,
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        1.0 / 2.0,
    ];
    let xc = if x > HI { HI } else { x };
    let xc = if xc < LO { LO } else { xc };
    let t = xc * LOG2_E + SHIFT;
    let k = t - SHIFT;
    let r = (xc - k * LN2_HI) - k * LN2_LO;
    let mut p = C[0];
    for c in &C[1..] {
        p = p * r + c;
    }
    // e^r = 1 + r + r²·p(r)
    let er = 1.0 + (r + r * r * p);
    // 2^k: k (|k| ≤ 1023) sits in the low bits of t; shift it into the exponent field.
    let scale = f64::from_bits((t.to_bits() << 52).wrapping_add(1023 << 52));
    let y = er * scale;
    let y = if x > HI { f64::INFINITY } else { y };
    if x < LO { 0.0 } else { y }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Distance in units in the last place between two positive finite values.
    fn ulps(a: f64, b: f64) -> u64 {
        a.to_bits().abs_diff(b.to_bits())
    }

    #[test]
    fn within_one_ulp_of_the_c_library() {
        let mut worst = (0, 0.0);
        let mut exact = 0usize;
        let n = 2_000_000;
        for i in 0..=n {
            // Dense in the range neuron models use, then the whole range.
            for x in [
                -40.0 + 80.0 * i as f64 / n as f64,
                -708.0 + 1417.0 * i as f64 / n as f64,
            ] {
                let d = ulps(exp(x), x.exp());
                exact += usize::from(d == 0);
                if d > worst.0 {
                    worst = (d, x);
                }
            }
        }
        assert!(worst.0 <= 1, "{} ulp at {}", worst.0, worst.1);
        // Mostly the same bits (90 %).

        assert!(exact as f64 > 0.85 * 2.0 * n as f64, "{exact}");
    }

    #[test]
    fn special_values_and_range_ends() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert!(ulps(exp(1.0), std::f64::consts::E) <= 1);
        assert_eq!(exp(710.0), f64::INFINITY);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(-709.0), 0.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(f64::NAN).is_nan());
        assert!(ulps(exp(709.0), 709f64.exp()) <= 1);
        assert!(ulps(exp(-708.0), (-708f64).exp()) <= 1);
    }
}
