//! Shared config types for every rampart data plane, their YAML loader and validation.
//!
//! # Organization
//! - [`config`]: the serde types of a config file (listeners, routes, services, TLS).
//! - [`duration`]: human durations (`250ms`, `5s`, `2m`) used by timeouts and intervals.
//! - [`load`]: reading a YAML file or string into a [`Config`].
//! - [`validate`]: every semantic check, each problem reported with its path.
//! - [`snapshot`]: the immutable, validated [`Snapshot`] that data planes read.
//! - [`waf`]: WAF policies (SecLang rule sets) attached to listeners and routes.

pub mod config;
pub mod duration;
pub mod load;
pub mod snapshot;
pub mod validate;
pub mod waf;

pub use config::*;
pub use duration::Duration;
pub use load::{load_file, load_str, LoadError};
pub use snapshot::Snapshot;
pub use validate::{validate, Problem, Problems};
pub use waf::{CrsSetup, WafMode, WafPolicy, WAF_OFF};
