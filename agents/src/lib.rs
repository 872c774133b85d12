//! `agents` owns the generators built on models: the language agents and their
//! collaboration protocol for `gen code`, and the FOL narrator and back-translator for
//! `gen fol`, and the job runtime both run on ([`job`]: control, stop and budget,
//! workers, finishing). Prompts come from the handlebars templates in `prompts/`.
//!
//! Architecture invariant: talks to models only through `llm::ChatModel`; knows nothing
//! of HTTP, async-openai or llama.cpp.

pub mod code;
pub mod fol;
pub mod job;
pub mod observed;
pub mod prompts;

pub use prompts::{PromptError, Prompts};
