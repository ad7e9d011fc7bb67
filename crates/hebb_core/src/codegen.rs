//! The code generation this build of hebb was compiled with, and whether the CPU it runs on
//! could use more.
//!
//! hebb's `.cargo/config.toml` compiles for x86-64-v3 (AVX2, FMA, BMI2): the neuron and synapse
//! kernels vectorize 8 `f32` lanes wide instead of 4. Cargo reads that file only when it builds
//! inside hebb's directory, so a crate elsewhere that depends on hebb (an out-of-tree plugin)
//! compiles the whole of hebb for baseline x86-64 unless it carries the same file (see
//! `docs/writing-a-plugin.md`, "Code generation"). [`missed_features`] tells: the `hebb` command
//! logs a warning when it is not empty.

/// The target features of x86-64-v3 that hebb's kernels profit from.
pub const X86_64_V3: [&str; 5] = ["avx", "avx2", "fma", "bmi1", "bmi2"];

/// The features of [`X86_64_V3`] this build was compiled with.
pub fn compiled_features() -> Vec<&'static str> {
    let compiled = [
        cfg!(target_feature = "avx"),
        cfg!(target_feature = "avx2"),
        cfg!(target_feature = "fma"),
        cfg!(target_feature = "bmi1"),
        cfg!(target_feature = "bmi2"),
    ];
    X86_64_V3
        .iter()
        .zip(compiled)
        .filter_map(|(name, on)| on.then_some(*name))
        .collect()
}

/// The features of [`X86_64_V3`] the CPU has but this build was compiled without (empty on
/// other architectures, or when the build uses everything the CPU offers).
pub fn missed_features() -> Vec<&'static str> {
    #[cfg(target_arch = "x86_64")]
    {
        let detected = [
            std::arch::is_x86_feature_detected!("avx"),
            std::arch::is_x86_feature_detected!("avx2"),
            std::arch::is_x86_feature_detected!("fma"),
            std::arch::is_x86_feature_detected!("bmi1"),
            std::arch::is_x86_feature_detected!("bmi2"),
        ];
        let compiled = compiled_features();
        X86_64_V3
            .iter()
            .zip(detected)
            .filter_map(|(name, cpu)| (cpu && !compiled.contains(name)).then_some(*name))
            .collect()
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Vec::new()
    }
}

/// A warning when this build leaves CPU features unused, naming them and the fix.
pub fn missed_features_warning() -> Option<String> {
    let missed = missed_features();
    (!missed.is_empty()).then(|| {
        format!(
            "this build of hebb was compiled without {} although this CPU has them, so its kernels run slower (Brette 2007 COBA: about 1.6x); build with hebb's code generation: copy hebb's .cargo/config.toml into your crate (docs/writing-a-plugin.md, \"Code generation\") or set RUSTFLAGS=\"-C target-cpu=x86-64-v3\"",
            missed.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiled_features_are_a_subset_in_order() {
        let compiled = compiled_features();
        let mut rest = X86_64_V3.iter();
        for f in &compiled {
            assert!(rest.any(|x| x == f), "{f} out of order or unknown");
        }
        // A feature is never both compiled and missed.
        for f in missed_features() {
            assert!(!compiled.contains(&f), "{f}");
        }
    }

    /// hebb's own builds use `.cargo/config.toml`, so on an x86-64-v3 machine nothing is missed
    /// (with `RUSTFLAGS` overriding it, the warning names what is missed).
    #[test]
    fn the_warning_names_what_is_missed() {
        match missed_features_warning() {
            None => assert!(missed_features().is_empty()),
            Some(w) => {
                for f in missed_features() {
                    assert!(w.contains(f), "{w}");
                }
                assert!(w.contains(".cargo/config.toml"), "{w}");
            }
        }
    }
}
