//! PLACEHOLDER: replaced by the routing branch.
use model::PathType;

/// One host+path rule and the value it routes to.
#[derive(Debug, Clone)]
pub struct Rule<T> {
    /// Exact or `*.` wildcard host; any host when None.
    pub host: Option<String>,
    /// The path.
    pub path: String,
    /// How the path matches.
    pub path_type: PathType,
    /// What a match yields.
    pub value: T,
}

/// A compiled routing table.
#[derive(Debug)]
pub struct RouteTable<T> {
    rules: Vec<Rule<T>>,
}

impl<T> RouteTable<T> {
    /// Compiles rules.
    pub fn new(rules: Vec<Rule<T>>) -> Self {
        Self { rules }
    }
    /// The value of the best rule for `host` (may carry a port) and `path`.
    pub fn lookup(&self, _host: &str, path: &str) -> Option<&T> {
        self.rules.iter().find(|r| path.starts_with(&r.path)).map(|r| &r.value)
    }
}
