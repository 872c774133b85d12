//! Which proof depth each work item gets: one depth, or a range spread evenly over the
//! items (ProverQA's tiers: easy 1–2, medium 3–5, hard 6–9).

use super::MAX_DEPTH;

/// An inclusive range of proof depths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DepthRange {
    pub min: u32,
    pub max: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepthError {
    #[error("must be a depth between 1 and {MAX_DEPTH}, or a range of them such as 3-5, got {0:?}")]
    Invalid(String),
    #[error("unknown tier {0:?}: use easy (depth 1-2), medium (3-5) or hard (6-9)")]
    Tier(String),
}

impl DepthRange {
    pub fn one(depth: u32) -> DepthRange {
        DepthRange { min: depth, max: depth }
    }

    /// `5` or `3-5`.
    pub fn parse(s: &str) -> Result<DepthRange, DepthError> {
        let bad = || DepthError::Invalid(s.to_string());
        let num = |t: &str| t.trim().parse::<u32>().map_err(|_| bad());
        let range = match s.split_once('-') {
            Some((a, b)) => DepthRange { min: num(a)?, max: num(b)? },
            None => DepthRange::one(num(s)?),
        };
        if range.min == 0 || range.min > range.max || range.max > MAX_DEPTH {
            return Err(bad());
        }
        Ok(range)
    }

    /// ProverQA's splits.
    pub fn tier(name: &str) -> Result<DepthRange, DepthError> {
        match name.trim().to_ascii_lowercase().as_str() {
            "easy" => Ok(DepthRange { min: 1, max: 2 }),
            "medium" => Ok(DepthRange { min: 3, max: 5 }),
            "hard" => Ok(DepthRange { min: 6, max: 9 }),
            _ => Err(DepthError::Tier(name.to_string())),
        }
    }

    /// The depth of item `index`. Runs of `block` consecutive items (the label mix's
    /// block, which holds every label in its exact share) share a depth and the depths
    /// take turns, so labels balance within each depth and depths within the run.
    pub fn depth_for(&self, index: u64, block: u64) -> u32 {
        let span = u64::from(self.max - self.min + 1);
        self.min + u32::try_from((index / block.max(1)) % span).unwrap_or(0)
    }
}

impl std::fmt::Display for DepthRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.min == self.max { write!(f, "{}", self.min) } else { write!(f, "{}-{}", self.min, self.max) }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::skeleton::LabelMix;
    use std::collections::BTreeMap;

    #[test]
    fn ranges_parse_and_tiers_are_proverqa_s() {
        assert_eq!(DepthRange::parse("4").unwrap(), DepthRange::one(4));
        assert_eq!(DepthRange::parse("3-5").unwrap(), DepthRange { min: 3, max: 5 });
        for bad in ["0", "5-3", "1-13", "x", "-2", "2-"] {
            assert!(DepthRange::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(DepthRange::tier("hard").unwrap(), DepthRange { min: 6, max: 9 });
        assert!(DepthRange::tier("extreme").is_err());
        assert_eq!(DepthRange { min: 3, max: 5 }.to_string(), "3-5");
    }

    #[test]
    fn labels_balance_within_each_depth() {
        let mix = LabelMix::balanced();
        let range = DepthRange { min: 3, max: 5 };
        let mut counts: BTreeMap<(u32, String), u32> = BTreeMap::new();
        for i in 0..900 {
            let depth = range.depth_for(i, mix.block_len());
            *counts.entry((depth, mix.label_for(7, i).to_string())).or_default() += 1;
        }
        assert_eq!(counts.len(), 9, "{counts:?}");
        assert!(counts.values().all(|&n| n == 100), "{counts:?}");
    }
}
