//! `llm` owns talking to language models: the [`ChatModel`] trait with our own request and
//! response types, and its backends — `openai` (any OpenAI-compatible endpoint),
//! `local` (an in-process GGUF model via llama.cpp, cargo feature `local`) and `mock`
//! (scripted responses for tests). It also owns retries, rate limits, call accounting,
//! the response cache and the table of local models ([`models`], `llm/models.toml`).
//!
//! Architecture invariant: callers see only [`ChatModel`], [`ChatRequest`] and
//! [`ChatResponse`]; no backend type (async-openai, llama-cpp-2) leaks into a public
//! signature. This crate knows nothing of FOL, code generation or datasets, and must not
//! depend on `agents`, `provers`, `sandbox` or `datasets`.
//!
//! A run's model is composed from the outside in:
//! `Metered(CachedModel(backend))` — accounting sees cache hits as free calls, and the
//! cache sits in front of the backend's retries and limits.
//!
//! ```
//! use llm::{Accounting, ChatModel, ChatRequest, Message, Metered, ScriptedModel};
//!
//! let model = Metered::new(ScriptedModel::new(["4"]), Accounting::new());
//! let runtime = tokio::runtime::Runtime::new().unwrap();
//! let answer = runtime.block_on(model.chat(ChatRequest::new(vec![Message::user("2 + 2?")]))).unwrap();
//! assert_eq!(answer.content, "4");
//! assert_eq!(model.accounting().unwrap().totals().calls, 1);
//! ```

pub mod accounting;
pub mod budget;
pub mod cache;
mod limits;
#[cfg(feature = "local")]
pub mod local;
pub mod mock;
#[cfg(feature = "mock-server")]
pub mod mock_server;
pub mod models;
pub mod openai;
pub mod types;

pub use accounting::{Accounting, CallSummary, Metered, RetryCause, Totals};
pub use budget::{Budget, TokenEstimate};
pub use cache::{CachedModel, cache_key};
pub use mock::ScriptedModel;
pub use models::{ModelSpec, ModelTable};
pub use openai::{ApiKey, OpenAiConfig, OpenAiModel};
pub use types::{ChatModel, ChatRequest, ChatResponse, LlmError, Message, Role, Usage};
