//! `@ipMatch`: matches when the input is an IPv4 or IPv6 address inside one of the listed
//! addresses or CIDR networks (`127.0.0.1,::1,10.0.0.0/8`).
//!
//! The list is parsed as v3's `IpTree` does: items are separated by commas (and lines), `#`
//! starts a comment, empty items are skipped, an item with a `:` is IPv6; no spaces are trimmed,
//! so `1.2.3.4, 5.6.7.8` is an error. A prefix length must be 1..=32 (IPv4) or 1..=127 (IPv6): v3
//! refuses `/0`, and an explicit IPv6 `/128` (write the bare address instead). An input that is
//! not an address does not match. Macros are not expanded. v3: src/operators/ip_match.cc,
//! src/utils/ip_tree.cc, src/utils/msc_tree.cc.
//!
//! ```text
//! SecRule REMOTE_ADDR "@ipMatch 127.0.0.1,::1" "id:1,phase:1,pass,ctl:ruleEngine=Off"
//! ```

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{LoadContext, OpContext, Operator, OperatorError};

/// A set of IPv4 and IPv6 networks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IpSet {
    v4: Vec<(u32, u32)>,
    v6: Vec<(u128, u32)>,
}

/// C `atoi`: leading whitespace, sign, digits; 0 without digits.
fn atoi(text: &str) -> i64 {
    super::compare::atoll(text.as_bytes()).clamp(i64::from(i32::MIN), i64::from(i32::MAX))
}

fn mask_v4(prefix: u32) -> u32 {
    u32::MAX.checked_shl(32 - prefix).unwrap_or(0)
}

fn mask_v6(prefix: u32) -> u128 {
    u128::MAX.checked_shl(128 - prefix).unwrap_or(0)
}

impl IpSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds the items of one `@ipMatch` argument or data-file content.
    pub fn add_list(&mut self, list: &str, operator: &'static str) -> Result<(), OperatorError> {
        for line in list.split('\n') {
            let line = line.split('#').next().unwrap_or_default();
            for item in line.split(',').filter(|i| !i.is_empty()) {
                self.add(item).map_err(|reason| OperatorError::Argument { operator, reason })?;
            }
        }
        Ok(())
    }

    /// Adds one `address[/prefix]` item.
    pub fn add(&mut self, item: &str) -> Result<(), String> {
        let bad = || format!("could not add entry {item:?}");
        let (address, prefix) = match item.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (item, None),
        };
        if item.contains(':') {
            let prefix = match prefix {
                None => 128,
                Some(p) if p.contains(':') => return Err(bad()),
                // v3 keeps "/128" in the address it then fails to parse.
                Some(p) => u32::try_from(atoi(p)).ok().filter(|&p| (1..128).contains(&p)).ok_or_else(bad)?,
            };
            let address: Ipv6Addr = address.parse().map_err(|_| bad())?;
            self.v6.push((u128::from(address) & mask_v6(prefix), prefix));
        } else {
            let prefix = match prefix {
                None => 32,
                Some(p) if p.contains('.') => return Err(bad()),
                Some(p) => u32::try_from(atoi(p)).ok().filter(|&p| (1..=32).contains(&p)).ok_or_else(bad)?,
            };
            let address: Ipv4Addr = address.parse().map_err(|_| bad())?;
            self.v4.push((u32::from(address) & mask_v4(prefix), prefix));
        }
        Ok(())
    }

    /// True when `input` is an address inside the set.
    pub fn contains(&self, input: &[u8]) -> bool {
        let Ok(text) = std::str::from_utf8(input) else { return false };
        if text.contains(':') {
            let Ok(address) = text.parse::<Ipv6Addr>() else { return false };
            let address = u128::from(address);
            self.v6.iter().any(|&(network, prefix)| address & mask_v6(prefix) == network)
        } else {
            let Ok(address) = text.parse::<Ipv4Addr>() else { return false };
            let address = u32::from(address);
            self.v4.iter().any(|&(network, prefix)| address & mask_v4(prefix) == network)
        }
    }

    /// The number of networks.
    pub fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    /// True when the set holds no network.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The operator.
#[derive(Debug, Clone)]
pub struct IpMatch {
    set: IpSet,
}

impl IpMatch {
    /// Wraps a set.
    pub fn new(set: IpSet) -> Self {
        Self { set }
    }
}

impl Operator for IpMatch {
    fn evaluate(&self, _cx: &mut OpContext<'_>, input: &[u8]) -> bool {
        self.set.contains(input)
    }
}

/// Builds `@ipMatch` from its argument.
pub fn compile(argument: &str, _cx: &LoadContext<'_>) -> Result<Box<dyn Operator>, OperatorError> {
    let mut set = IpSet::new();
    set.add_list(argument, "ipMatch")?;
    Ok(Box::new(IpMatch::new(set)))
}
