//! Spend limits. A run checks its [`Budget`] before it takes each new work item: when the
//! item's expected tokens would carry the totals past `--max-tokens` or `--max-cost`, the
//! run stops taking work, lets the items in flight finish, and reports "stopped: budget".
//! The check is per item, not per call, so an item is never cut in half; the overshoot is
//! bounded by the items in flight.

use crate::accounting::Totals;
use serde::Serialize;

/// Token and cost limits with the prices that turn tokens into dollars.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Budget {
    pub max_cost: Option<f64>,
    pub max_tokens: Option<u64>,
    /// USD per million prompt tokens.
    pub price_in: f64,
    /// USD per million completion tokens.
    pub price_out: f64,
}

/// Expected (or observed) tokens of some unit of work.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct TokenEstimate {
    pub calls: f64,
    pub prompt_tokens: f64,
    pub completion_tokens: f64,
}

impl TokenEstimate {
    pub fn total(&self) -> f64 {
        self.prompt_tokens + self.completion_tokens
    }

    pub fn scaled(&self, factor: f64) -> TokenEstimate {
        TokenEstimate {
            calls: self.calls * factor,
            prompt_tokens: self.prompt_tokens * factor,
            completion_tokens: self.completion_tokens * factor,
        }
    }

    /// The observed average per item, once `items` items have completed.
    pub fn per_item(totals: &Totals, items: u64) -> Option<TokenEstimate> {
        Self::average(
            totals.calls - totals.cached_calls,
            totals.prompt_tokens,
            totals.completion_tokens,
            items,
        )
    }

    /// Calls and tokens spent over `items` work items, per item (`None` for no items).
    pub fn average(
        calls: u64,
        prompt_tokens: u64,
        completion_tokens: u64,
        items: u64,
    ) -> Option<TokenEstimate> {
        (items > 0).then(|| {
            let n = items as f64;
            TokenEstimate {
                calls: calls as f64 / n,
                prompt_tokens: prompt_tokens as f64 / n,
                completion_tokens: completion_tokens as f64 / n,
            }
        })
    }
}

impl Budget {
    pub fn is_limited(&self) -> bool {
        self.max_cost.is_some() || self.max_tokens.is_some()
    }

    pub fn cost(&self, prompt_tokens: f64, completion_tokens: f64) -> f64 {
        (prompt_tokens * self.price_in + completion_tokens * self.price_out) / 1e6
    }

    /// Dollars spent so far.
    pub fn spent(&self, totals: &Totals) -> f64 {
        self.cost(totals.prompt_tokens as f64, totals.completion_tokens as f64)
    }

    /// Whether work expected to take `next` would carry the spend past a limit.
    pub fn would_exceed(&self, totals: &Totals, next: &TokenEstimate) -> bool {
        let used = (totals.prompt_tokens + totals.completion_tokens) as f64;
        if let Some(max) = self.max_tokens
            && used + next.total() > max as f64
        {
            return true;
        }
        if let Some(max) = self.max_cost
            && self.spent(totals) + self.cost(next.prompt_tokens, next.completion_tokens) > max
        {
            return true;
        }
        false
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn totals(prompt: u64, completion: u64) -> Totals {
        Totals { calls: 10, prompt_tokens: prompt, completion_tokens: completion, ..Totals::default() }
    }

    #[test]
    fn token_limit_counts_the_next_item() {
        let b = Budget { max_tokens: Some(1000), ..Budget::default() };
        let next = TokenEstimate { calls: 2.0, prompt_tokens: 150.0, completion_tokens: 50.0 };
        assert!(!b.would_exceed(&totals(600, 200), &next));
        assert!(b.would_exceed(&totals(700, 200), &next));
        assert!(!Budget::default().would_exceed(&totals(u64::MAX / 4, 0), &next));
    }

    #[test]
    fn cost_limit_uses_prices_per_million() {
        let b = Budget { max_cost: Some(1.0), price_in: 1.0, price_out: 4.0, ..Budget::default() };
        assert!((b.spent(&totals(500_000, 100_000)) - 0.9).abs() < 1e-9);
        let small = TokenEstimate { calls: 1.0, prompt_tokens: 50_000.0, completion_tokens: 0.0 };
        let big = TokenEstimate { calls: 1.0, prompt_tokens: 0.0, completion_tokens: 50_000.0 };
        assert!(!b.would_exceed(&totals(500_000, 100_000), &small));
        assert!(b.would_exceed(&totals(500_000, 100_000), &big));
    }

    #[test]
    fn per_item_average_ignores_cached_calls() {
        let t = Totals {
            calls: 12,
            cached_calls: 2,
            prompt_tokens: 400,
            completion_tokens: 100,
            ..Totals::default()
        };
        let e = TokenEstimate::per_item(&t, 5).unwrap();
        assert_eq!((e.calls, e.prompt_tokens, e.completion_tokens), (2.0, 80.0, 20.0));
        assert!(TokenEstimate::per_item(&t, 0).is_none());
    }
}
