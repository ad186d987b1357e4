//! PLACEHOLDER: replaced by the health branch.
use std::sync::Arc;

use crate::endpoint::EndpointState;

/// One endpoint to check, and how.
#[derive(Debug, Clone)]
pub struct CheckTarget {
    /// The endpoint whose state the results go to.
    pub endpoint: Arc<EndpointState>,
    /// The check.
    pub check: model::HealthCheck,
}

/// Runs active health checks.
#[derive(Debug, Default)]
pub struct HealthChecker {}

impl HealthChecker {
    /// A checker with nothing to check.
    pub fn new() -> Self {
        Self {}
    }
    /// Makes the running checks match `targets`.
    pub fn reconcile(&self, _targets: Vec<CheckTarget>) {}
}
