//! The two ways a scene writes [`Stdp`]'s amplitudes, and the sign mode they select.
//!
//! | form | fields | means |
//! |---|---|---|
//! | magnitudes (Brian2/NEST/textbook) | `a_plus ≥ 0`, `a_minus ≥ 0` | Hebbian: a causal pair (pre before post) adds `a_plus·x_pre`, an acausal one subtracts `a_minus·x_post` |
//! | signed (Inferno) | `lr_post`, `lr_pre` of any sign | the signs route the terms: Hebbian, anti-Hebbian, potentiation-only or depression-only (see [`StdpMode`]) |
//!
//! `a_plus`/`a_minus` become `lr_post = a_plus`, `lr_pre = −a_minus`; the two forms give the same
//! simulation, bit for bit. Writing both forms in one rule is an error; a magnitude that is
//! negative is an error (it names the signed form). A signed form whose two rates have the same
//! sign (potentiation-only or depression-only, where every pairing moves weights one way until
//! they reach a bound) is accepted, as Inferno does, but logged as a warning, and `hebb check`
//! prints the mode of every rule ([`Stdp::describe`](hebb_core::registry::Model::describe)).
//! Scenes are saved in the signed form.
//!
//! NEST's `stdp_synapse` writes the amplitudes relative to `Wmax` (`λ` and `α·λ`): with additive
//! updates (`mu_plus = mu_minus = 0`) and `Hard(w_min: 0.0, w_max: Wmax)` bounds that is
//! `a_plus = λ·Wmax`, `a_minus = α·λ·Wmax`.

use serde::Deserialize;

use crate::bounds::Bounds;
use crate::stdp::Stdp;
use crate::trace::TraceMode;

/// Which terms potentiate and which depress, chosen by the signs of `lr_post` and `lr_pre`
/// (zero counts as positive, as in Inferno).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdpMode {
    /// `lr_post ≥ 0`, `lr_pre < 0`: causal pairs potentiate, acausal pairs depress.
    Hebbian,
    /// `lr_post < 0`, `lr_pre ≥ 0`: causal pairs depress, acausal pairs potentiate.
    AntiHebbian,
    /// Both ≥ 0: every pairing potentiates.
    PotentiationOnly,
    /// Both < 0: every pairing depresses.
    DepressionOnly,
}

impl StdpMode {
    /// The mode the signed rates select.
    pub fn of(lr_post: f64, lr_pre: f64) -> Self {
        match (lr_post >= 0.0, lr_pre >= 0.0) {
            (true, false) => Self::Hebbian,
            (false, true) => Self::AntiHebbian,
            (true, true) => Self::PotentiationOnly,
            (false, false) => Self::DepressionOnly,
        }
    }

    /// Its name in `hebb check`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Hebbian => "Hebbian",
            Self::AntiHebbian => "anti-Hebbian",
            Self::PotentiationOnly => "potentiation-only",
            Self::DepressionOnly => "depression-only",
        }
    }
}

/// One line saying what `lr_post`/`lr_pre` do, e.g. `Hebbian: causal pairs +0.01·x_pre,
/// acausal pairs −0.0105·x_post`.
pub fn describe_rates(lr_post: f64, lr_pre: f64) -> String {
    let term = |lr: f64, trace: &str| {
        let sign = if lr >= 0.0 { '+' } else { '−' };
        format!("{sign}{}·{trace}", lr.abs())
    };
    let mode = StdpMode::of(lr_post, lr_pre);
    let mut line = format!(
        "{}: causal pairs (post spike) {}, acausal pairs (pre arrival) {}",
        mode.label(),
        term(lr_post, "x_pre"),
        term(lr_pre, "x_post")
    );
    if matches!(mode, StdpMode::PotentiationOnly | StdpMode::DepressionOnly) {
        line.push_str(
            " — every pairing moves weights the same way (Inferno's signed form; write a_plus/a_minus for Hebbian magnitudes)",
        );
    }
    line
}

/// The fields a scene may write for [`Stdp`], every one optional (a field is `None` when the
/// scene does not write it; written values are plain, not `Some(…)`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct StdpFields {
    #[serde(deserialize_with = "given")]
    lr_post: Option<f64>,
    #[serde(deserialize_with = "given")]
    lr_pre: Option<f64>,
    #[serde(deserialize_with = "given")]
    a_plus: Option<f64>,
    #[serde(deserialize_with = "given")]
    a_minus: Option<f64>,
    #[serde(deserialize_with = "given")]
    tau_post_ms: Option<f64>,
    #[serde(deserialize_with = "given")]
    tau_pre_ms: Option<f64>,
    #[serde(deserialize_with = "given")]
    trace_mode: Option<TraceMode>,
    #[serde(deserialize_with = "given")]
    bounds: Option<Bounds>,
}

/// A field that is present: its plain value.
fn given<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

impl TryFrom<StdpFields> for Stdp {
    type Error = String;

    fn try_from(f: StdpFields) -> Result<Self, String> {
        let defaults = Stdp::default();
        let signed = f.lr_post.is_some() || f.lr_pre.is_some();
        let magnitudes = f.a_plus.is_some() || f.a_minus.is_some();
        let (lr_post, lr_pre) = match (signed, magnitudes) {
            (true, true) => {
                return Err("write the amplitudes either as magnitudes (a_plus, a_minus: Hebbian, both >= 0) or in Inferno's signed form (lr_post, lr_pre), not both".into());
            }
            (false, true) => {
                let a_plus = f.a_plus.unwrap_or(defaults.lr_post.abs());
                let a_minus = f.a_minus.unwrap_or(defaults.lr_pre.abs());
                for (name, value) in [("a_plus", a_plus), ("a_minus", a_minus)] {
                    if value < 0.0 {
                        return Err(format!(
                            "{name} is a magnitude and must be >= 0, got {value} (a_minus is subtracted; for Inferno's signed rates use lr_post/lr_pre)"
                        ));
                    }
                }
                (a_plus, -a_minus)
            }
            _ => {
                let lr_post = f.lr_post.unwrap_or(defaults.lr_post);
                let lr_pre = f.lr_pre.unwrap_or(defaults.lr_pre);
                let mode = StdpMode::of(lr_post, lr_pre);
                if matches!(mode, StdpMode::PotentiationOnly | StdpMode::DepressionOnly)
                    && lr_post != 0.0
                    && lr_pre != 0.0
                {
                    tracing::warn!(
                        "Stdp(lr_post: {lr_post}, lr_pre: {lr_pre}): both rates have the same sign, so this is Inferno's {} mode and every pairing moves the weights the same way; for Hebbian STDP write magnitudes, Stdp(a_plus: {}, a_minus: {}), or make lr_pre negative",
                        mode.label(),
                        lr_post.abs(),
                        lr_pre.abs()
                    );
                }
                (lr_post, lr_pre)
            }
        };
        Ok(Stdp {
            lr_post,
            lr_pre,
            tau_post_ms: f.tau_post_ms.unwrap_or(defaults.tau_post_ms),
            tau_pre_ms: f.tau_pre_ms.unwrap_or(defaults.tau_pre_ms),
            trace_mode: f.trace_mode.unwrap_or(defaults.trace_mode),
            bounds: f.bounds.unwrap_or(defaults.bounds),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Stdp, String> {
        ron::from_str::<Stdp>(text).map_err(|e| e.to_string())
    }

    #[test]
    fn magnitudes_are_the_hebbian_signed_form() {
        let m = parse("(a_plus: 0.01, a_minus: 0.0105)").unwrap();
        assert_eq!((m.lr_post, m.lr_pre), (0.01, -0.0105));
        assert_eq!(m, parse("(lr_post: 0.01, lr_pre: -0.0105)").unwrap());
        assert_eq!(StdpMode::of(m.lr_post, m.lr_pre), StdpMode::Hebbian);
        // One magnitude given: the other takes the default's magnitude.
        let m = parse("(a_plus: 0.02)").unwrap();
        assert_eq!((m.lr_post, m.lr_pre), (0.02, -0.0105));
        // Nothing given: Inferno's defaults, as before.
        assert_eq!(parse("()").unwrap(), Stdp::default());
    }

    #[test]
    fn mixing_forms_or_a_negative_magnitude_is_an_error() {
        let e = parse("(a_plus: 0.01, lr_pre: -0.01)").unwrap_err();
        assert!(e.contains("not both"), "{e}");
        let e = parse("(a_plus: 0.01, a_minus: -0.0105)").unwrap_err();
        assert!(
            e.contains("a_minus is a magnitude and must be >= 0, got -0.0105"),
            "{e}"
        );
        let e = parse("(a_plus: 0.01, A_minus: 0.01)").unwrap_err();
        assert!(e.contains("A_minus"), "{e}");
    }

    #[test]
    fn the_signed_form_keeps_all_four_modes_and_says_which() {
        for (lr_post, lr_pre, mode) in [
            (0.2, -0.2, StdpMode::Hebbian),
            (-0.2, 0.2, StdpMode::AntiHebbian),
            (0.01, 0.0105, StdpMode::PotentiationOnly),
            (-0.01, -0.0105, StdpMode::DepressionOnly),
        ] {
            let s = parse(&format!("(lr_post: {lr_post}, lr_pre: {lr_pre})")).unwrap();
            assert_eq!((s.lr_post, s.lr_pre), (lr_post, lr_pre));
            assert_eq!(StdpMode::of(s.lr_post, s.lr_pre), mode);
            let line = describe_rates(lr_post, lr_pre);
            assert!(line.starts_with(mode.label()), "{line}");
        }
        assert_eq!(
            describe_rates(0.01, -0.0105),
            "Hebbian: causal pairs (post spike) +0.01·x_pre, acausal pairs (pre arrival) −0.0105·x_post"
        );
        assert!(describe_rates(0.01, 0.0105).contains("write a_plus/a_minus"));
    }
}
