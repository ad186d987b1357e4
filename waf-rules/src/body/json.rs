//! json placeholder
use super::Arg;
pub const DEFAULT_DEPTH_LIMIT: usize = 10000;
#[derive(Debug)]
pub struct JsonLimits { pub depth: usize, pub args: Option<usize> }
#[derive(Debug)]
pub struct Json { pub args: Vec<Arg>, pub error: Option<String> }
pub fn parse(_b: &[u8], _l: &JsonLimits) -> Json { Json { args: vec![], error: None } }
