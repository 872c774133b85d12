//! The request/response vocabulary every backend speaks.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

impl Message {
    pub fn system(content: impl Into<String>) -> Self {
        Self { role: Role::System, content: content.into() }
    }
    pub fn user(content: impl Into<String>) -> Self {
        Self { role: Role::User, content: content.into() }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        Self { role: Role::Assistant, content: content.into() }
    }
}

/// One chat completion request, backend-neutral.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    pub temperature: f32,
    pub max_tokens: u32,
    pub stop: Vec<String>,
    pub seed: Option<u64>,
    /// When set, the answer must be JSON valid against this schema (constrained decoding
    /// where the backend supports it, validation otherwise).
    pub json_schema: Option<serde_json::Value>,
}

impl ChatRequest {
    pub fn new(messages: Vec<Message>) -> Self {
        Self { messages, temperature: 0.0, max_tokens: 512, stop: Vec::new(), seed: None, json_schema: None }
    }
}

/// Token counts of one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatResponse {
    pub content: String,
    pub usage: Usage,
    /// Wall time of the call including retries.
    pub latency: Duration,
    /// Retries spent on this call (0 when the first attempt succeeded).
    pub retries: u32,
    /// True when served from the response cache.
    pub cached: bool,
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    #[error("cannot reach the model endpoint {endpoint}: {reason}")]
    Unreachable { endpoint: String, reason: String },
    #[error("the model endpoint rejected the request ({status}): {body}")]
    Rejected { status: u16, body: String },
    #[error("gave up after {attempts} attempts: {last}")]
    RetriesExhausted { attempts: u32, last: String },
    #[error("the model's answer is not valid: {0}")]
    InvalidResponse(String),
    #[error("model file problem: {0}")]
    Model(String),
    /// A local model file that is missing, truncated, corrupt or not a model: bad input,
    /// with the command that installs the right file.
    #[error("{0}")]
    ModelFile(String),
    #[error("no scripted response left for this request")]
    ScriptExhausted,
    #[error("response cache: {0}")]
    Cache(String),
}

/// Anything that answers chat requests. Backends are shared across tasks as
/// `Arc<dyn ChatModel>`.
#[async_trait]
pub trait ChatModel: Send + Sync {
    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, LlmError>;
    /// A stable name of the model, recorded in datasets and used in cache keys.
    fn model_name(&self) -> String;
    /// The call totals this model records into, when it is (or wraps) a
    /// [`crate::Metered`] model; `None` otherwise.
    fn accounting(&self) -> Option<crate::Accounting> {
        None
    }
}

#[async_trait]
impl<T: ChatModel + ?Sized> ChatModel for std::sync::Arc<T> {
    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, LlmError> {
        (**self).chat(request).await
    }
    fn model_name(&self) -> String {
        (**self).model_name()
    }
    fn accounting(&self) -> Option<crate::Accounting> {
        (**self).accounting()
    }
}
