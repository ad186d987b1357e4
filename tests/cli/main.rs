//! The `rampart` binary end to end, and the README's config reference against the model.

mod binary;
mod readme;
mod waf;
