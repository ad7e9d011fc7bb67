//! Checks of `hebb run` / `hebb resume` made before the network is built, so that an error
//! that would otherwise come only after the whole run (or as an allocator abort) comes first:
//! `--plot` with `--format npy`, a network larger than the available memory
//! ([`crate::memory`]).

use hebb_scene::Scene;

use crate::error::CliError;
use crate::{Format, OutputArgs};

/// Everything that can be refused before building `scene` with `output`.
pub fn before_build(scene: &Scene, output: &OutputArgs) -> Result<(), CliError> {
    if output.plot && output.format == Format::Npy {
        return Err(CliError::Refused(
            "--plot draws from CSV recordings: use --format csv (the default) with --plot, or drop --plot".into(),
        ));
    }
    crate::memory::check_fits(scene, output.ignore_memory_estimate)
}
