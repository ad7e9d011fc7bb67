//! [`PySimulation`]: a built scene and its running [`Simulation`], stepped with the GIL released,
//! with its recordings, weights, reward and imposed spikes reachable as numpy arrays.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use hebb_core::Real;
use hebb_core::clock::steps_on_grid;
use hebb_core::connectivity::Connectivity;
use hebb_core::population::Population;
use hebb_core::projection::{Projection, Weights};
use hebb_core::simulation::Simulation;
use hebb_plasticity::reward::RewardExt;
use hebb_scene::{Scene, load_snapshot, save_snapshot};
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1};
use pyo3::exceptions::{PyKeyError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use crate::errors::{HebbError, build_error, scene_error, value_error};
use crate::{plugins, registry};

/// A 1-D numpy array handed to Python.
type Array1<'py, T> = Bound<'py, PyArray1<T>>;
/// A 2-D numpy array handed to Python.
type Array2<'py, T> = Bound<'py, PyArray2<T>>;

/// How long one stretch of steps runs without the GIL before Python gets it back (signals,
/// progress display, other threads).
const CHUNK: Duration = Duration::from_millis(50);

/// A network built from a scene, and its state.
///
/// `unsendable`: a [`Simulation`] is not `Send` (bevy's pending schedule configurations hold
/// `Box<dyn Any>`), so the object stays on the Python thread that made it; pyo3 raises if
/// another thread touches it. Runs still release the GIL.
#[pyclass(module = "hebb._hebb", name = "Simulation", unsendable)]
pub struct PySimulation {
    scene: Scene,
    sim: Simulation,
}

fn build(py: Python<'_>, scene: Scene) -> PyResult<PySimulation> {
    scene.validate().map_err(|e| scene_error(py, &e))?;
    let mut sim = scene.build(plugins()).map_err(|e| build_error(py, &e))?;
    default_threads(&mut sim)?;
    Ok(PySimulation { scene, sim })
}

/// The thread count `hebb run` picks without `--threads` (results never depend on it).
fn default_threads(sim: &mut Simulation) -> PyResult<()> {
    let threads = sim.auto_threads();
    sim.set_threads(threads)
        .map_err(|e| PyRuntimeError::new_err(e.to_string()))
}

/// Load the scene file at `path` (its seed replaced by `seed` when given) and build it.
#[pyfunction]
#[pyo3(signature = (path, seed = None))]
pub(crate) fn load_scene(py: Python<'_>, path: &str, seed: Option<u64>) -> PyResult<PySimulation> {
    let mut scene = Scene::load(path, registry()).map_err(|e| scene_error(py, &e))?;
    if let Some(seed) = seed {
        scene.seed = seed;
    }
    build(py, scene)
}

/// Parse scene `text` (`name` stands for the file in messages) and build it.
#[pyfunction]
#[pyo3(signature = (text, name = "<scene>", seed = None))]
pub(crate) fn parse_scene(
    py: Python<'_>,
    text: &str,
    name: &str,
    seed: Option<u64>,
) -> PyResult<PySimulation> {
    let mut scene = Scene::parse(text, name, registry()).map_err(|e| scene_error(py, &e))?;
    if let Some(seed) = seed {
        scene.seed = seed;
    }
    build(py, scene)
}

/// Parse and validate scene `text` without building it; return hebb's own RON text of it.
#[pyfunction]
#[pyo3(signature = (text, name = "<scene>"))]
pub(crate) fn canonical_scene(py: Python<'_>, text: &str, name: &str) -> PyResult<String> {
    let scene = Scene::parse(text, name, registry()).map_err(|e| scene_error(py, &e))?;
    scene.to_ron().map_err(|e| scene_error(py, &e))
}

/// Read the snapshot at `path`, rebuild its scene and restore its state (recordings included).
#[pyfunction]
pub(crate) fn resume_snapshot(py: Python<'_>, path: &str) -> PyResult<PySimulation> {
    let snapshot = load_snapshot(path, registry()).map_err(|e| scene_error(py, &e))?;
    let mut sim = snapshot.build(plugins()).map_err(|e| build_error(py, &e))?;
    default_threads(&mut sim)?;
    Ok(PySimulation {
        scene: snapshot.scene,
        sim,
    })
}

/// Run up to `steps` steps or until `budget` has passed (checked every few steps), whichever
/// comes first; returns the number of steps run. A panic inside a step is returned as its text.
fn run_chunk(sim: &mut Simulation, steps: u64, budget: Duration) -> Result<u64, String> {
    let start = Instant::now();
    catch_unwind(AssertUnwindSafe(|| {
        let mut done = 0;
        while done < steps {
            let n = (steps - done).min(16);
            sim.run_steps(n);
            done += n;
            if start.elapsed() >= budget {
                break;
            }
        }
        done
    }))
    .map_err(|panic| {
        panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "unknown panic".to_owned())
    })
}

/// A `&mut Simulation` handed to [`Python::detach`], whose `Send` bound only keeps
/// GIL-bound objects out of the closure: the closure runs on the calling thread, before
/// `detach` returns, so the simulation never leaves the thread that owns it.
struct OnThisThread<'a>(&'a mut Simulation);

// SAFETY: `Python::detach` calls its closure on the current thread and returns only after it
// has finished; the simulation is neither moved to nor shared with another thread.
unsafe impl Send for OnThisThread<'_> {}

impl PySimulation {
    fn population_entity(&self, name: &str) -> PyResult<bevy_entity::Entity> {
        self.sim.index().population(name).ok_or_else(|| {
            PyKeyError::new_err(format!(
                "unknown population `{name}`; known: {}",
                self.names(true).join(", ")
            ))
        })
    }

    fn projection_entity(&self, name: &str) -> PyResult<bevy_entity::Entity> {
        self.sim.index().projection(name).ok_or_else(|| {
            PyKeyError::new_err(format!(
                "unknown projection `{name}`; known: {}",
                self.names(false).join(", ")
            ))
        })
    }

    /// The state or weight recorder `name`, or a `KeyError` listing the recorders.
    fn state_recorder(&self, name: &str) -> PyResult<&hebb_core::record::StateRecording> {
        let r = self.sim.recorders();
        r.state(name).ok_or_else(|| {
            let names: Vec<&str> = r.states.iter().map(|s| s.name.as_str()).collect();
            PyKeyError::new_err(format!(
                "no state recorder `{name}`; recorders: [{}]",
                names.join(", ")
            ))
        })
    }

    fn names(&self, populations: bool) -> Vec<String> {
        let index = self.sim.index();
        let list = if populations {
            &index.populations
        } else {
            &index.projections
        };
        list.iter().map(|(n, _)| n.clone()).collect()
    }
}

mod bevy_entity {
    pub use hebb_core::bevy_ecs::entity::Entity;
}

#[pymethods]
impl PySimulation {
    /// Run `steps` steps with the GIL released. Every `every` steps (when given) `callback()` is
    /// called; `progress(done, total)` is called about every 50 ms of wall time. Python signals
    /// are checked between stretches of steps: Ctrl-C raises `KeyboardInterrupt` with the
    /// network stopped after a whole step (its time says where). Returns the steps run.
    #[pyo3(signature = (steps, every = None, callback = None, progress = None))]
    fn run_steps(
        slf: &Bound<'_, Self>,
        steps: u64,
        every: Option<u64>,
        callback: Option<Bound<'_, PyAny>>,
        progress: Option<Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let py = slf.py();
        if every == Some(0) {
            return Err(value_error("every must be >= 1 step"));
        }
        let mut done = 0;
        while done < steps {
            let mut want = steps - done;
            if let Some(every) = every {
                want = want.min(every - done % every);
            }
            let ran = {
                let mut this = slf.borrow_mut();
                let sim = OnThisThread(&mut this.sim);
                py.detach(move || {
                    let sim = sim;
                    run_chunk(sim.0, want, CHUNK)
                })
            };
            let ran =
                ran.map_err(|p| HebbError::new_err(format!("internal error in a step: {p}")))?;
            done += ran;
            if let (Some(every), Some(cb)) = (every, &callback)
                && done.is_multiple_of(every)
            {
                cb.call0()?;
            }
            if let Some(p) = &progress {
                p.call1((done, steps))?;
            }
            py.check_signals()?;
        }
        Ok(done)
    }

    /// Steps in `ms` milliseconds (`ValueError` unless a whole number of steps, >= 0).
    fn steps_in(&self, ms: f64) -> PyResult<u64> {
        let dt = self.sim.dt_ms();
        steps_on_grid(ms, dt).filter(|_| ms >= 0.0).ok_or_else(|| {
            value_error(format!(
                "{ms} ms is not a non-negative whole number of time steps (dt = {dt} ms)"
            ))
        })
    }

    /// Steps run so far.
    #[getter]
    fn step(&self) -> u64 {
        self.sim.clock().step
    }

    /// Simulated time so far, ms.
    #[getter]
    fn t_ms(&self) -> f64 {
        self.sim.clock().time_ms()
    }

    /// Time step, ms.
    #[getter]
    fn dt_ms(&self) -> f64 {
        self.sim.dt_ms()
    }

    /// Master seed.
    #[getter]
    fn seed(&self) -> u64 {
        self.sim.seed()
    }

    /// Threads the steps run on (results are bit-identical for every count).
    #[getter]
    fn threads(&self) -> usize {
        self.sim.threads()
    }

    /// Run the following steps on `threads` threads (at least 1).
    fn set_threads(&mut self, threads: usize) -> PyResult<()> {
        self.sim
            .set_threads(threads)
            .map_err(|e| PyValueError::new_err(format!("threads: {e}")))
    }

    /// The scene's `duration_ms`.
    #[getter]
    fn duration_ms(&self) -> f64 {
        self.scene.duration_ms
    }

    /// The scene's path (or name).
    #[getter]
    fn path(&self) -> String {
        self.scene.path().to_owned()
    }

    /// The scene as RON text (the seed is the one in use).
    fn scene_ron(&self, py: Python<'_>) -> PyResult<String> {
        self.scene.to_ron().map_err(|e| scene_error(py, &e))
    }

    /// `(name, size, model)` of every population, in creation order.
    fn populations(&self) -> Vec<(String, usize, String)> {
        self.sim
            .index()
            .populations
            .iter()
            .filter_map(|(_, e)| {
                let p = self.sim.world.get::<Population>(*e)?;
                Some((p.name.clone(), p.size, p.model.clone()))
            })
            .collect()
    }

    /// `(name, from, to, synapses)` of every projection, in creation order.
    fn projections(&self) -> Vec<(String, String, String, usize)> {
        self.sim
            .index()
            .projections
            .iter()
            .filter_map(|(_, e)| {
                let p = self.sim.world.get::<Projection>(*e)?;
                let c = self.sim.world.get::<Connectivity>(*e)?;
                Some((
                    p.name.clone(),
                    p.pre_name.clone(),
                    p.post_name.clone(),
                    c.n_synapses(),
                ))
            })
            .collect()
    }

    /// Names of the populations with a spike recorder, and of the state/weight recorders.
    fn recorder_names(&self) -> (Vec<String>, Vec<String>) {
        let r = self.sim.recorders();
        (
            r.spikes.iter().map(|s| s.population.clone()).collect(),
            r.states.iter().map(|s| s.name.clone()).collect(),
        )
    }

    /// Recorded spikes of `population`: `(times_ms, neurons)` (float64, int64).
    fn spikes<'py>(
        &self,
        py: Python<'py>,
        population: &str,
    ) -> PyResult<(Array1<'py, f64>, Array1<'py, i64>)> {
        let r = self.sim.recorders();
        let rec = r.spikes_of(population).ok_or_else(|| {
            let names: Vec<&str> = r.spikes.iter().map(|s| s.population.as_str()).collect();
            PyKeyError::new_err(format!(
                "no spike recorder for `{population}`; recorded populations: [{}] (add a Spikes recorder to the scene, or net.record_spikes(\"{population}\") before building)",
                names.join(", ")
            ))
        })?;
        let dt = self.sim.dt_ms();
        let times: Vec<f64> = rec.steps.iter().map(|&s| hebb_io::time_ms(s, dt)).collect();
        let neurons: Vec<i64> = rec.neurons.iter().map(|&n| i64::from(n)).collect();
        Ok((
            PyArray1::from_vec(py, times),
            PyArray1::from_vec(py, neurons),
        ))
    }

    /// State or weight recorder `name`: `(times_ms (T,), values (T, N))`. The values are one
    /// copy (a memcpy) of the recorder's row-major buffer into a new numpy array.
    fn state<'py>(
        &self,
        py: Python<'py>,
        name: &str,
    ) -> PyResult<(Array1<'py, f64>, Array2<'py, Real>)> {
        let rec = self.state_recorder(name)?;
        let rows = rec.times_ms.len();
        let cols = rec.columns.len();
        if rec.values.len() != rows * cols {
            return Err(HebbError::new_err(format!(
                "recorder `{name}` holds {} values for {rows} rows of {cols} columns",
                rec.values.len()
            )));
        }
        let times = PyArray1::from_iter(py, rec.times_ms.iter().map(|&t| hebb_io::clean_time(t)));
        // SAFETY: `new` allocates an uninitialised C-contiguous (rows, cols) array, which the
        // copy fills completely (`values` holds exactly rows·cols elements, checked above)
        // before Python can see it.
        let values = unsafe {
            let array = PyArray2::<Real>::new(py, [rows, cols], false);
            std::ptr::copy_nonoverlapping(rec.values.as_ptr(), array.data(), rec.values.len());
            array
        };
        Ok((times, values))
    }

    /// Column names of state or weight recorder `name` (`v[3]`, `w[0,1]`), as in the CSV header.
    fn state_columns(&self, name: &str) -> PyResult<Vec<String>> {
        Ok(self.state_recorder(name)?.columns.clone())
    }

    /// Current weights of `projection`: `(pre, post, w)` copies in synapse order.
    fn weights<'py>(
        &self,
        py: Python<'py>,
        projection: &str,
    ) -> PyResult<(Array1<'py, i64>, Array1<'py, i64>, Array1<'py, Real>)> {
        let e = self.projection_entity(projection)?;
        let c = self
            .sim
            .world
            .get::<Connectivity>(e)
            .ok_or_else(|| value_error(format!("projection `{projection}` has no synapses")))?;
        let w = self
            .sim
            .world
            .get::<Weights>(e)
            .ok_or_else(|| value_error(format!("projection `{projection}` has no weights")))?;
        let (pre, post): (Vec<i64>, Vec<i64>) = c
            .pairs()
            .into_iter()
            .map(|(i, j)| (i64::from(i), i64::from(j)))
            .unzip();
        Ok((
            PyArray1::from_vec(py, pre),
            PyArray1::from_vec(py, post),
            PyArray1::from_vec(py, w.w.clone()),
        ))
    }

    /// Replace the weights of `projection` (one finite value per synapse, synapse order).
    fn set_weights(&mut self, projection: &str, w: PyReadonlyArray1<'_, f64>) -> PyResult<()> {
        let e = self.projection_entity(projection)?;
        let new = w.as_slice()?;
        let mut weights = self
            .sim
            .world
            .get_mut::<Weights>(e)
            .ok_or_else(|| value_error(format!("projection `{projection}` has no weights")))?;
        if new.len() != weights.w.len() {
            return Err(value_error(format!(
                "set_weights(`{projection}`): expected {} weights (one per synapse), got {}",
                weights.w.len(),
                new.len()
            )));
        }
        if let Some(k) = new.iter().position(|x| !x.is_finite()) {
            return Err(value_error(format!(
                "set_weights(`{projection}`): weight {k} is {}, weights must be finite",
                new[k]
            )));
        }
        for (dst, &src) in weights.w.iter_mut().zip(new) {
            *dst = src as Real;
        }
        Ok(())
    }

    /// Set the reward from the next step on; it holds until set again or until a
    /// `RewardSchedule` change.
    fn set_reward(&mut self, value: f64) -> PyResult<()> {
        if !value.is_finite() {
            return Err(value_error(format!("reward must be finite, got {value}")));
        }
        self.sim.set_reward(value as Real);
        Ok(())
    }

    /// The reward the next step will use.
    fn reward(&self) -> f64 {
        f64::from(self.sim.reward())
    }

    /// Make `neurons` of input population `population` spike in the next step.
    fn impose_spikes(&mut self, population: &str, neurons: Vec<i64>) -> PyResult<()> {
        self.population_entity(population)?;
        let neurons: Vec<u32> = neurons
            .iter()
            .map(|&n| {
                u32::try_from(n)
                    .map_err(|_| value_error(format!("neuron index {n} is out of range")))
            })
            .collect::<PyResult<_>>()?;
        self.sim
            .impose_spikes(population, &neurons)
            .map_err(|e| value_error(e.to_string()))
    }

    /// Write the scene and the full state (recordings included) to `path`.
    fn save_snapshot(&self, py: Python<'_>, path: &str) -> PyResult<()> {
        save_snapshot(path, &self.scene, &self.sim).map_err(|e| scene_error(py, &e))
    }
}
