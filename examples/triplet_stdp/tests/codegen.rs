//! The plugin crate is built with hebb's code generation (docs/writing-a-plugin.md, "Code
//! generation"): on x86-64 this crate's code and hebb's are compiled with the x86-64-v3
//! features (AVX2, FMA, BMI2), so the rule's kernel and hebb's vectorize alike. A crate copied
//! out of hebb's tree without the recipe's `.cargo/config.toml` fails here.

use hebb::core::codegen::{X86_64_V3, compiled_features};

#[test]
fn this_crate_and_hebb_share_the_x86_64_v3_code_generation() {
    // Evaluated in this crate's compilation …
    let here: Vec<&str> = [
        cfg!(target_feature = "avx"),
        cfg!(target_feature = "avx2"),
        cfg!(target_feature = "fma"),
        cfg!(target_feature = "bmi1"),
        cfg!(target_feature = "bmi2"),
    ]
    .iter()
    .zip(X86_64_V3)
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    // … and in hebb's.
    assert_eq!(here, compiled_features());
    if cfg!(target_arch = "x86_64") {
        assert_eq!(
            here, X86_64_V3,
            "built without hebb's .cargo/config.toml (target-cpu=x86-64-v3)"
        );
    }
}
