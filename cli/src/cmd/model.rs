//! Builds the configured `ChatModel` backend from a resolved `ModelConfig`.
//!
//! The model a command gets is `Metered(CachedModel(backend))`: every call is accounted
//! (read the totals with `model.accounting()`), and with a memory and caching on, answers
//! are served from the memory's `llm_cache` tree when the same request was made before.

use crate::config::{Backend, LocalChoice, ModelConfig};
use llm::{Accounting, ApiKey, CachedModel, ChatModel, Metered, OpenAiConfig, OpenAiModel};
use std::sync::Arc;
use std::time::Duration;

pub fn build_model(cfg: &ModelConfig, memory: Option<&memory::Memory>) -> anyhow::Result<Arc<dyn ChatModel>> {
    let accounting = Accounting::new();
    let backend: Arc<dyn ChatModel> = match &cfg.backend {
        Backend::OpenAi { api_base, model } => {
            let mut c = OpenAiConfig::new(api_base.as_str(), model.as_str());
            c.api_key = ApiKey::from_env();
            // Validated positive and finite; an absurdly large value means "no timeout".
            c.timeout = timeout(cfg).unwrap_or(Duration::from_secs(86_400));
            c.max_concurrency = cfg.concurrency;
            c.rpm = cfg.rpm;
            c.tpm = cfg.tpm;
            c.max_retries = cfg.max_retries;
            Arc::new(OpenAiModel::new(c)?.with_accounting(accounting.clone()))
        }
        Backend::Local(choice) => local_model(choice, cfg)?,
    };
    let model: Arc<dyn ChatModel> = match (cfg.cache, memory) {
        (true, Some(memory)) => Arc::new(CachedModel::new(backend, memory.llm_cache()?)),
        _ => backend,
    };
    Ok(Arc::new(Metered::new(model, accounting)))
}

/// The validated `--timeout`; an absurdly large value means "no timeout".
fn timeout(cfg: &ModelConfig) -> Option<Duration> {
    cfg.timeout_secs.map(|t| Duration::try_from_secs_f64(t).unwrap_or(Duration::from_secs(86_400)))
}

#[cfg(feature = "local")]
fn local_model(choice: &LocalChoice, cfg: &ModelConfig) -> anyhow::Result<Arc<dyn ChatModel>> {
    // --concurrency is how many requests decode together in one batch.
    let opts = llm::local::LocalOptions {
        max_sequences: cfg.concurrency.clamp(1, 16),
        timeout: timeout(cfg),
        prefix_cache: cfg.prefix_cache,
        ..Default::default()
    };
    let loaded = match choice {
        LocalChoice::Named(spec) => llm::local::LocalModel::load_named(spec, opts),
        LocalChoice::File(path) => llm::local::LocalModel::load(path, opts),
    };
    match loaded {
        Ok(model) => Ok(Arc::new(model)),
        // A missing, damaged or foreign model file is bad input (exit 2), not a failed run.
        Err(llm::LlmError::ModelFile(message)) => Err(crate::config::ConfigError::Model(message).into()),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(feature = "local"))]
fn local_model(_choice: &LocalChoice, _cfg: &ModelConfig) -> anyhow::Result<Arc<dyn ChatModel>> {
    anyhow::bail!(
        "this gen was built without the embedded local model: pass --api-base URL (an \
         OpenAI-compatible endpoint), or rebuild with `--features local`"
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::args::ModelArgs;
    use crate::config::{FileModel, resolve_model};

    fn openai(no_cache: bool) -> ModelConfig {
        let raw = ModelArgs {
            api_base: Some("http://127.0.0.1:9/v1".into()),
            model: Some("m".into()),
            no_cache,
            ..Default::default()
        };
        resolve_model(&raw, &FileModel::default()).unwrap()
    }

    #[test]
    fn every_model_is_metered_and_named_after_the_backend() {
        let dir = tempfile::tempdir().unwrap();
        let memory = memory::Memory::open(&dir.path().join("m.sled")).unwrap();
        for (cfg, mem) in
            [(openai(false), Some(&memory)), (openai(true), Some(&memory)), (openai(false), None)]
        {
            let model = build_model(&cfg, mem).unwrap();
            assert_eq!(model.model_name(), "m");
            assert_eq!(model.accounting().unwrap().totals(), llm::Totals::default());
        }
    }
}
