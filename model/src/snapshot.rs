//! The immutable, validated config that data planes read.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::validate::validate;
use crate::{Config, Problems};

static GENERATION: AtomicU64 = AtomicU64::new(1);

/// A validated config and its generation number. Cheap to clone; never mutated: a new config
/// is a new snapshot, swapped in whole.
#[derive(Clone, Debug)]
pub struct Snapshot {
    config: Arc<Config>,
    generation: u64,
}

impl Snapshot {
    /// Validates `config` and wraps it.
    pub fn new(config: Config) -> Result<Self, Problems> {
        validate(&config)?;
        Ok(Self::from_validated(config))
    }

    pub(crate) fn from_validated(config: Config) -> Self {
        Self { config: Arc::new(config), generation: GENERATION.fetch_add(1, Ordering::Relaxed) }
    }

    /// The config.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A number that grows with every snapshot made in this process.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}
