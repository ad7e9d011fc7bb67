//! Plot a `hebb run` output directory without the CLI:
//! `cargo run -p hebb_plot --example plot_dir -- DIR [FIGURE] [OUT_DIR]`.
//! Writes PNG and SVG into `OUT_DIR` (default `DIR/plots`) and prints the files written.

#![expect(clippy::print_stdout, reason = "a command-line example")]

use std::path::PathBuf;

use hebb_plot::{Format, plot_dir_to};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .ok_or("usage: plot_dir DIR [FIGURE] [OUT_DIR]")?,
    );
    let figure = args.next().filter(|f| f != "-");
    let out = args.next().map_or_else(|| dir.join("plots"), PathBuf::from);
    for file in plot_dir_to(&dir, &out, figure.as_deref(), &Format::ALL)? {
        println!("{}", file.display());
    }
    Ok(())
}
