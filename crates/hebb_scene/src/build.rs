//! Building a [`Simulation`] from a [`Scene`].

use hebb_core::error::BuildError;
use hebb_core::plugin::PluginGroup;
use hebb_core::record::RecorderSpec;
use hebb_core::simulation::{PopulationSpec, ProjectionSpec, Simulation};

use crate::error::SceneError;
use crate::scene::{Element, Scene};

/// Options of [`Scene::build_with`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BuildOptions {
    /// Threads to run on (at least 1); `None` picks them from the network's size
    /// ([`Simulation::auto_threads`]). The results are the same bit for bit either way.
    pub threads: Option<usize>,
}

impl Scene {
    /// [`Scene::build`] with options (e.g. the number of threads).
    pub fn build_with(
        &self,
        plugins: impl PluginGroup,
        options: BuildOptions,
    ) -> Result<Simulation, SceneError> {
        let mut sim = self.build(plugins)?;
        let threads = options.threads.unwrap_or_else(|| sim.auto_threads());
        sim.set_threads(threads).map_err(|e| {
            self.build_error(Element::Top, BuildError::Invalid(format!("threads: {e}")))
        })?;
        Ok(sim)
    }

    /// Build the network: a [`Simulation`] with the scene's `dt_ms` and `seed`, then `plugins`,
    /// then the populations, projections, inputs, reward and recorders in scene order. The scene
    /// is validated first; engine errors name the scene element they come from. The schedule is
    /// initialized, so ordering errors show up here too.
    ///
    /// The returned simulation has not run; step it [`Scene::steps`] times for the scene's
    /// duration. It runs on one thread; use [`Scene::build_with`] or
    /// [`Simulation::set_threads`] for more.
    pub fn build(&self, plugins: impl PluginGroup) -> Result<Simulation, SceneError> {
        self.build_share(plugins, 0, 1)
    }

    /// [`Scene::build`] for rank `rank` of `ranks` of a distributed run (`hebb_mpi`): every
    /// static projection drawn per postsynaptic neuron holds only the synapses onto the
    /// neurons this rank owns ([`hebb_core::share`]), except projections a recorder reads
    /// (weights, tables, state), which are built whole. With one rank this is [`Scene::build`].
    pub fn build_share(
        &self,
        plugins: impl PluginGroup,
        rank: usize,
        ranks: usize,
    ) -> Result<Simulation, SceneError> {
        self.validate()?;
        let mut sim = Simulation::new(self.dt_ms, self.seed)
            .map_err(|e| self.build_error(Element::Top, e))?;
        if ranks > 1 {
            let keep_whole = self
                .recorders
                .iter()
                .filter_map(|r| match &r.value {
                    RecorderSpec::Weights { projection, .. }
                    | RecorderSpec::WeightTable { projection, .. }
                    | RecorderSpec::State {
                        target: projection, ..
                    } => Some(projection.clone()),
                    _ => None,
                })
                .collect();
            sim.set_synapse_share(rank, ranks, keep_whole)
                .map_err(|e| self.build_error(Element::Top, e))?;
        }
        sim.add_plugins(plugins);
        if let Some(dir) = self.data_dir() {
            sim.insert_resource(hebb_core::table::DataDir(dir));
        }
        for (i, pop) in self.populations.iter().enumerate() {
            sim.add_population(PopulationSpec {
                name: pop.name.clone(),
                size: pop.size,
                model: pop.model.params.clone(),
            })
            .map_err(|e| self.build_error(Element::Population(i), e))?;
            let per_neuron: Vec<(&str, &hebb_core::initial::NeuronValues)> = pop
                .per_neuron
                .iter()
                .map(|(param, values)| (param.as_str(), values))
                .collect();
            sim.set_per_neuron(&pop.name, pop.model.params.as_ref(), &per_neuron)
                .map_err(|e| self.build_error(Element::Population(i), e))?;
            for (variable, values) in &pop.initial {
                sim.set_initial(&pop.name, variable, values)
                    .map_err(|e| self.build_error(Element::Population(i), e))?;
            }
        }
        for (i, proj) in self.projections.iter().enumerate() {
            sim.add_projection(ProjectionSpec {
                name: proj.name.clone(),
                pre: proj.from.clone(),
                post: proj.to.clone(),
                connectivity: proj.connectivity.clone(),
                weights: proj.weights.clone(),
                synapse: proj.synapse.params.clone(),
                delay_ms: proj.delay_ms,
                synapse_delays: proj.synapse_delays_ms.clone(),
                stp: proj.stp.as_ref().map(|m| m.params.clone()),
                plasticity: proj.plasticity.as_ref().map(|m| m.params.clone()),
                storage: proj.storage,
            })
            .map_err(|e| self.build_error(Element::Projection(i), e))?;
        }
        for (i, input) in self.inputs.iter().enumerate() {
            sim.add_stimulus(&input.population, input.model.params.as_ref())
                .map_err(|e| self.build_error(Element::Input(i), e))?;
        }
        if let Some(reward) = &self.reward {
            sim.add_network_model("reward", reward.params.as_ref())
                .map_err(|e| self.build_error(Element::Reward, e))?;
        }
        for (i, recorder) in self.recorders.iter().enumerate() {
            sim.add_recorder(recorder)
                .map_err(|e| self.build_error(Element::Recorder(i), e))?;
        }
        sim.initialize()
            .map_err(|e| self.build_error(Element::Top, e))?;
        Ok(sim)
    }

    /// The directory of the scene file, against which relative data file names in model
    /// params (e.g. `Poisson(timed: File("rates.csv"))`) are resolved; `None` for scenes made
    /// in code (the working directory is used).
    pub fn data_dir(&self) -> Option<std::path::PathBuf> {
        let origin = self.origin.as_ref()?;
        let parent = std::path::Path::new(&origin.path).parent()?;
        Some(parent.to_path_buf())
    }

    fn build_error(&self, el: Element, e: BuildError) -> SceneError {
        match e {
            BuildError::Param { source, .. } => self.param_error(el, None, source),
            other => {
                let message = other.to_string();
                let field = match el {
                    Element::Recorder(i) => recorder_field(&self.recorders[i], &other, &message),
                    _ => None,
                };
                self.error(el, field, message)
            }
        }
    }
}

/// The recorder field an engine error is about, to point at it.
fn recorder_field(spec: &RecorderSpec, e: &BuildError, message: &str) -> Option<&'static str> {
    Some(match (spec, e) {
        (_, BuildError::Duplicate { .. }) => "name",
        (RecorderSpec::Spikes { .. }, BuildError::UnknownName { .. }) => "population",
        (RecorderSpec::PopulationRate { .. }, BuildError::UnknownName { .. }) => "population",
        (RecorderSpec::WeightTable { .. }, BuildError::UnknownName { .. }) => "projection",
        _ if message.contains("at_ms") => "at_ms",
        _ if message.contains("from_ms") => "from_ms",
        _ if message.contains("to_ms") => "to_ms",
        _ if message.contains("bin_ms") => "bin_ms",
        _ if message.contains("two spike recorders") => "name",
        (RecorderSpec::Spikes { .. } | RecorderSpec::PopulationRate { .. }, _)
            if message.contains("out of range")
                || message.contains("selected twice")
                || message.starts_with('`') =>
        {
            "population"
        }
        (RecorderSpec::State { .. }, _)
            if message.contains("selected twice") || message.contains("target") =>
        {
            "target"
        }
        (RecorderSpec::State { .. }, BuildError::UnknownName { .. }) => "target",
        (RecorderSpec::Weights { .. }, BuildError::UnknownName { .. }) => "projection",
        _ if message.contains("has no variable") => "variables",
        _ if message.contains("out of range") => "indices",
        _ if message.contains("has no synapse") => "synapses",
        _ if message.contains("stride") => "stride",
        _ if message.contains("recorder name") => "name",
        _ => return None,
    })
}
