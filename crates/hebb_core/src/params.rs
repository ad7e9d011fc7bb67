//! Helpers for `validate()` methods: each returns a [`ParamError`](crate::error::ParamError) that names the field and says
//! what was given.

/// Validation checks. Each takes the field name as written in scenes and the value.
pub mod check {
    use crate::error::ParamError;

    /// `value > 0` and finite.
    pub fn positive(field: &str, value: f64) -> Result<(), ParamError> {
        if value.is_finite() && value > 0.0 {
            Ok(())
        } else {
            Err(ParamError::new(field, format!("must be > 0, got {value}")))
        }
    }

    /// `value >= 0` and finite.
    pub fn non_negative(field: &str, value: f64) -> Result<(), ParamError> {
        if value.is_finite() && value >= 0.0 {
            Ok(())
        } else {
            Err(ParamError::new(field, format!("must be >= 0, got {value}")))
        }
    }

    /// `value` is finite.
    pub fn finite(field: &str, value: f64) -> Result<(), ParamError> {
        if value.is_finite() {
            Ok(())
        } else {
            Err(ParamError::new(
                field,
                format!("must be a finite number, got {value}"),
            ))
        }
    }

    /// A finite number that fits the state arrays' float type ([`crate::Real`], `f32` by
    /// default): `1e300` is finite in f64 but infinite once stored.
    pub fn finite_real(field: &str, value: f64) -> Result<(), ParamError> {
        finite(field, value)?;
        if value.abs() > f64::from(crate::Real::MAX) {
            Err(ParamError::new(
                field,
                format!(
                    "must be within ±{:e} (the largest {} value), got {value:e}",
                    crate::Real::MAX,
                    std::any::type_name::<crate::Real>()
                ),
            ))
        } else {
            Ok(())
        }
    }

    /// `lo <= value <= hi`.
    pub fn in_range(field: &str, value: f64, lo: f64, hi: f64) -> Result<(), ParamError> {
        if value.is_finite() && (lo..=hi).contains(&value) {
            Ok(())
        } else {
            Err(ParamError::new(
                field,
                format!("must be in [{lo}, {hi}], got {value}"),
            ))
        }
    }

    /// `a < b`, reported on field `b_field`.
    pub fn less_than(a_field: &str, a: f64, b_field: &str, b: f64) -> Result<(), ParamError> {
        if a < b {
            Ok(())
        } else {
            Err(ParamError::new(
                b_field,
                format!("must be greater than {a_field} ({a}), got {b}"),
            ))
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn messages_name_field_and_value() {
            let e = positive("tau_m_ms", -3.0).unwrap_err();
            assert_eq!(e.to_string(), "tau_m_ms must be > 0, got -3");
            assert!(non_negative("x", 0.0).is_ok());
            assert!(non_negative("x", f64::NAN).is_err());
            assert_eq!(
                in_range("u", 1.5, 0.0, 1.0).unwrap_err().to_string(),
                "u must be in [0, 1], got 1.5"
            );
        }
    }
}
