//! # hebb_cli — the `hebb` command
//!
//! ```text
//! hebb run SCENE.ron --out DIR [--force] [--format csv|npy] [--plot] [--snapshot-at T_MS]
//!          [--seed N] [--duration-ms T_MS] [--set PATH=VALUE]…
//! hebb resume SNAPSHOT.hebbsnap --out DIR [--force] [--format csv|npy] [--plot]
//! hebb plot DIR [--figure NAME] [--format png,svg]
//! hebb check SCENE.ron [--set PATH=VALUE]…
//! hebb list            (alias: hebb models)
//! ```
//!
//! Every built-in model is available (the `hebb` crate's `DefaultPlugins`). A crate with its
//! own models gets the same command, every subcommand and flag, with its plugins added, in one
//! line of its `src/main.rs`:
//!
//! ```no_run
//! # use hebb::core::prelude::*;
//! # struct MyRulePlugin;
//! # impl Plugin for MyRulePlugin { fn build(&self, _: &mut Simulation) {} }
//! fn main() -> std::process::ExitCode {
//!     hebb_cli::main_with(MyRulePlugin)
//! }
//! ```
//!
//! (see [`main_with`]; `examples/triplet_stdp` ships its binary this way). Errors are printed
//! as one `error: …` line (file, line, column, element, what is wrong) and the exit code is 1;
//! usage errors exit with 2; a run stopped with Ctrl-C, SIGTERM or SIGHUP writes what it
//! recorded, marks `summary.json` `"interrupted": true` and exits with 128 + the signal number
//! (130, 143, 129). See `docs/reliability.md` for what survives what.
//!
//! The binary is a thin wrapper over this library so that tests can call the commands in
//! process: [`run_cli`] runs a parsed [`Cli`]; [`run::run`], [`run::resume`], [`plot::plot`],
//! [`check::check`] and [`list::list`] are the commands themselves.

pub mod check;
pub mod error;
pub mod list;
pub mod memory;
pub mod outdir;
pub mod overrides;
pub mod plot;
pub mod plugins;
pub mod preflight;
pub mod progress;
pub mod ranks;
pub mod run;
pub mod signals;
pub mod watch;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use clap::{Parser, Subcommand, ValueEnum};

use hebb_core::plugin::PluginSet;

pub use crate::error::CliError;
pub use crate::plugins::Plugins;

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const EXIT_INTERRUPTED: u8 = 130;

/// Set by the Ctrl-C handler; the run loop checks it between chunks of steps.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Run, check and plot hebb scene files (RON).
#[derive(Debug, Parser)]
#[command(name = "hebb", version, about, long_about = None)]
pub struct Cli {
    /// More log output on stderr (-v: info, -vv: debug, -vvv: trace); `RUST_LOG` overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a scene; write summary.json and one file per recorder into DIR.
    Run(RunArgs),
    /// Continue a snapshot written by `run --snapshot-at` up to its scene's duration; the
    /// recordings in DIR start at the snapshot's time.
    Resume(ResumeArgs),
    /// Draw the plots of a run directory into DIR/plots.
    Plot(PlotArgs),
    /// Validate a scene and print its network and the schedule of one step.
    Check {
        /// The scene file.
        scene: PathBuf,
        /// Build the network even when its memory estimate exceeds the available memory.
        #[arg(long)]
        ignore_memory_estimate: bool,
        /// Change a value of the scene before checking it, as `hebb run --set` does.
        #[arg(long = "set", value_name = "PATH=VALUE")]
        set: Vec<String>,
    },
    /// List the registered models with their parameters, units and defaults, then the
    /// connectivities, weight initialisers and recorder kinds; with a NAME, only that model.
    #[command(alias = "models")]
    List {
        /// Show only this model (e.g. `Lif`).
        name: Option<String>,
    },
}

/// Options shared by `run` and `resume`.
#[derive(Debug, Clone, clap::Args)]
pub struct OutputArgs {
    /// Output directory (created if missing; must be empty unless --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Write into a non-empty DIR, overwriting hebb's own output files (nothing else is
    /// touched).
    #[arg(long)]
    pub force: bool,
    /// File format of the recordings.
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
    /// After the run, draw the plots (and the scene's reference figure) into DIR/plots.
    #[arg(long)]
    pub plot: bool,
    /// No progress bar or progress lines.
    #[arg(short, long)]
    pub quiet: bool,
    /// Keep running when the state holds NaN or infinite values (by default the run stops
    /// with an error naming the population, variable, neuron and time).
    #[arg(long)]
    pub allow_nonfinite: bool,
    /// Build the network even when its memory estimate exceeds the available memory.
    #[arg(long)]
    pub ignore_memory_estimate: bool,
    /// Threads to run on (at least 1). Default: chosen from the network's size (1 below 100000
    /// neurons). Results are identical bit for bit for every thread count.
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
}

/// `--threads`: a whole number of at least 1.
fn parse_threads(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("must be at least 1 (leave --threads out to let hebb choose)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("expected a whole number of threads, got `{text}`")),
    }
}

/// Arguments of `hebb run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The scene file.
    pub scene: PathBuf,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also write `DIR/snapshot_<T>ms.hebbsnap` at simulated time T (ms, on the dt grid,
    /// within the duration) and continue; `hebb resume` continues from it.
    #[arg(long, value_name = "T_MS", allow_negative_numbers = true)]
    pub snapshot_at: Option<f64>,
    /// Run with this master seed instead of the scene's (recorded in summary.json).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Run for this simulated time in ms instead of the scene's (a whole number of steps;
    /// recorded in summary.json).
    #[arg(long, value_name = "T_MS")]
    pub duration_ms: Option<f64>,
    /// Change one value of the scene, as if the file said so (repeatable; applied in order,
    /// before --seed and --duration-ms; recorded in summary.json), e.g.
    /// `--set populations.exc.model.tau_m_ms=15` or `--set projections.ee.weights=Constant(0.5)`.
    /// List elements are picked by name or index (`projections[1].delay_ms=2`).
    #[arg(long = "set", value_name = "PATH=VALUE")]
    pub set: Vec<String>,
}

/// Arguments of `hebb resume`.
#[derive(Debug, Clone, clap::Args)]
pub struct ResumeArgs {
    /// The snapshot file (`snapshot_<T>ms.hebbsnap`).
    pub snapshot: PathBuf,
    /// Output options.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Arguments of `hebb plot`.
#[derive(Debug, Clone, clap::Args)]
pub struct PlotArgs {
    /// A directory written by `hebb run` (CSV recordings).
    pub dir: PathBuf,
    /// Reference figure to draw (default: the scene's `figure`, from summary.json).
    #[arg(long, value_name = "NAME")]
    pub figure: Option<String>,
    /// Image formats, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "png")]
    pub format: Vec<ImageFormat>,
}

/// File format of recordings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated text: `t_ms,neuron` and `t_ms,<column>…`.
    Csv,
    /// NumPy structured arrays with the same column names.
    Npy,
}

/// Image format of plots.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImageFormat {
    /// PNG bitmap.
    Png,
    /// SVG vector image.
    Svg,
}

/// How a command ended, when it did not fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Done.
    Completed,
    /// A run stopped early by Ctrl-C (its files are written).
    Interrupted,
}

/// The whole `hebb` command with `plugins` added to the built-in models: parses the command
/// line, sets up logging and Ctrl-C, runs the command. This is the `main` of a plugin crate's
/// binary:
///
/// ```no_run
/// # use hebb::core::prelude::*;
/// # struct TripletStdpPlugin;
/// # impl Plugin for TripletStdpPlugin { fn build(&self, _: &mut Simulation) {} }
/// use std::process::ExitCode;
///
/// fn main() -> ExitCode {
///     hebb_cli::main_with(TripletStdpPlugin)
/// }
/// ```
///
/// `plugins` is a plugin or a tuple of plugins (`(RuleA, RuleB)`); they are added before
/// `DefaultPlugins` in every simulation the command builds ([`Plugins::with`]). `run`,
/// `resume`, `check`, `list`, `plot`, snapshots, progress, CSV/NPY and every flag behave as in
/// `hebb`, with the plugins' models usable by name in scenes.
pub fn main_with(plugins: impl PluginSet) -> ExitCode {
    main_of(&Plugins::with(plugins))
}

/// The `hebb` binary's `main`, with the models of `plugins`.
pub fn main_of(plugins: &Plugins) -> ExitCode {
    restore_default_sigpipe();
    let cli = Cli::parse();
    init_logging(cli.verbose);
    install_interrupt_handler();
    if let Some(warning) = hebb_core::codegen::missed_features_warning() {
        tracing::warn!("{warning}");
    }
    run_cli_with(cli, plugins)
}

/// Run a parsed command line with the built-in models; prints errors as one `error: …` line.
pub fn run_cli(cli: Cli) -> ExitCode {
    run_cli_with(cli, &Plugins::builtin())
}

/// Run a parsed command line with the models of `plugins`; prints errors as one `error: …`
/// line.
pub fn run_cli_with(cli: Cli, plugins: &Plugins) -> ExitCode {
    let result = match cli.command {
        Command::Run(args) => run::run_with(&args, plugins, &INTERRUPTED),
        Command::Resume(args) => run::resume_with(&args, plugins, &INTERRUPTED),
        Command::Plot(args) => plot::plot(&args).map(|_| Outcome::Completed),
        Command::Check {
            scene,
            ignore_memory_estimate,
            set,
        } => check::check_with_sets(&scene, plugins, ignore_memory_estimate, &set)
            .map(|()| Outcome::Completed),
        Command::List { name: None } => {
            print!("{}", list::listing_with(plugins));
            Ok(Outcome::Completed)
        }
        Command::List { name: Some(name) } => list::model_listing_with(plugins, &name)
            .map(|text| {
                print!("{text}");
                Outcome::Completed
            })
            .map_err(CliError::Refused),
    };
    match result {
        Ok(Outcome::Completed) => ExitCode::SUCCESS,
        Ok(Outcome::Interrupted) => ExitCode::from(signals::exit_code()),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Log to stderr with `tracing`: warnings by default, more with `-v`/`-vv`/`-vvv`, or as
/// `RUST_LOG` says (e.g. `RUST_LOG=hebb_cli=debug`).
pub fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// Make Ctrl-C (SIGINT), SIGTERM and SIGHUP set [`INTERRUPTED`]: the running simulation stops
/// after its current chunk of steps and writes its files. A second signal exits at once with
/// 128 + its number. See [`signals`].
pub fn install_interrupt_handler() {
    signals::install();
}

/// Let a closed pipe end hebb quietly (`hebb list | head`), as it ends other command-line
/// tools, instead of a panic in `println!` (Rust ignores SIGPIPE by default).
pub fn restore_default_sigpipe() {
    #[cfg(unix)]
    // SAFETY: resetting a signal's disposition to the default, before any thread is started.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
