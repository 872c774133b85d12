//! The embedded default model: a GGUF file run in-process by llama.cpp.
//!
//! One background thread owns the llama context and decodes every in-flight request
//! together (continuous batching, see [`worker`]); [`LocalModel::chat`] only renders the
//! prompt with the model's own chat template, tokenizes it, prepares its sampler and
//! waits for the worker's answer. Requests that carry a JSON schema are decoded under a
//! grammar made from the schema ([`gbnf`]) and checked against it when done ([`schema`]).
//! The worker keeps the KV cache of finished requests, so a prompt whose head was decoded
//! before starts after it (prefix reuse, see [`worker`]). Models come from the table in
//! `llm/models.toml` ([`LocalModel::load_named`], checked by [`models::verify`]) or from
//! any GGUF file ([`LocalModel::load`]).
//!
//! Architecture invariant: no llama-cpp-2 type appears in this module's public API, so
//! callers stay backend-neutral behind [`ChatModel`].

mod gbnf;
mod schema;
mod worker;

use crate::models::{self, ModelSpec};
use crate::types::{ChatModel, ChatRequest, ChatResponse, LlmError, Role, Usage};
use async_trait::async_trait;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaChatTemplate, LlamaModel};
use llama_cpp_2::sampling::LlamaSampler;
use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};
use worker::{Job, StatsCounters};

/// How the model is run. `Default` suits the default model on a small machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalOptions {
    /// CPU threads for decoding; `None` uses every core.
    pub threads: Option<usize>,
    /// KV-cache cells shared by all in-flight requests (each holds its prompt plus its
    /// answer). Capped at the model's training context.
    pub context_size: u32,
    /// Requests decoded together in one batch.
    pub max_sequences: usize,
    /// Requests that may wait for a free sequence before `chat` itself waits.
    pub queue_capacity: usize,
    /// Keep the KV cache of finished requests and start a new request from the longest
    /// prefix of its prompt already decoded (see [`worker`]).
    pub prefix_cache: bool,
    /// Longest a request may take (queueing plus decoding); its decoding stops when it
    /// runs out. `None`: no limit.
    pub timeout: Option<std::time::Duration>,
}

impl Default for LocalOptions {
    fn default() -> Self {
        Self {
            threads: None,
            context_size: 8192,
            max_sequences: 8,
            queue_capacity: 256,
            prefix_cache: true,
            timeout: None,
        }
    }
}

/// What the worker has done so far; for benchmarks and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalStats {
    /// The most distinct requests that shared one decode call.
    pub max_batch_seqs_seen: usize,
    /// Decode calls made.
    pub decode_calls: u64,
    /// Prompt tokens fed to the model.
    pub prompt_tokens: u64,
    /// Tokens sampled.
    pub generated_tokens: u64,
    /// Requests the worker is done with: answered (successfully or not), or given up by
    /// their caller before they started.
    pub requests_finished: u64,
    /// Prompt tokens not fed because their KV cells were reused from an earlier request.
    pub reused_prompt_tokens: u64,
}

/// A GGUF chat model run in-process. Cheap to share: wrap it in an `Arc` and call
/// [`ChatModel::chat`] from as many tasks as you like; concurrent calls are batched.
pub struct LocalModel {
    name: String,
    model: Arc<LlamaModel>,
    template: LlamaChatTemplate,
    jobs: mpsc::Sender<Job>,
    stats: Arc<StatsCounters>,
    context_size: u32,
    timeout: Option<std::time::Duration>,
}

impl std::fmt::Debug for LocalModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalModel")
            .field("name", &self.name)
            .field("context_size", &self.context_size)
            .finish()
    }
}

/// llama.cpp's global state may be initialised only once per process.
fn backend() -> Result<&'static LlamaBackend, LlmError> {
    static BACKEND: OnceLock<Result<LlamaBackend, String>> = OnceLock::new();
    BACKEND
        .get_or_init(|| {
            // llama.cpp logs every tensor at load time; route it to tracing (debug level)
            // instead of the user's terminal.
            llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
            LlamaBackend::init().map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| LlmError::Model(format!("cannot initialise llama.cpp: {e}")))
}

impl LocalModel {
    /// Loads a model of the table (`llm/models.toml`) after checking its file's size and
    /// sha256 ([`models::verify`]), with the table's chat template and context length.
    pub fn load_named(spec: &ModelSpec, options: LocalOptions) -> Result<Self, LlmError> {
        let path = spec.path();
        models::verify(spec, &path)?;
        let template = (spec.chat_template != "embedded").then_some(spec.chat_template.as_str());
        let options = LocalOptions { context_size: options.context_size.min(spec.context_length), ..options };
        Self::load_checked(&path, template, spec.model_name(), options)
    }

    /// Loads any GGUF file, with its own chat template (ChatML when it has none).
    pub fn load(path: &Path, options: LocalOptions) -> Result<Self, LlmError> {
        models::check_gguf(path)?;
        let name =
            path.file_stem().map_or_else(|| "local".to_owned(), |stem| stem.to_string_lossy().into_owned());
        Self::load_checked(path, None, name, options)
    }

    fn load_checked(
        path: &Path,
        template: Option<&str>,
        name: String,
        options: LocalOptions,
    ) -> Result<Self, LlmError> {
        if options.max_sequences == 0 || options.queue_capacity == 0 || options.context_size < 64 {
            return Err(LlmError::Model(format!(
                "invalid local model options {options:?}: max_sequences and queue_capacity must be at \
                 least 1 and context_size at least 64"
            )));
        }
        let backend = backend()?;
        let model = LlamaModel::load_from_file(backend, path, &LlamaModelParams::default()).map_err(|e| {
            LlmError::ModelFile(format!(
                "llama.cpp cannot load {} ({e}): the file is truncated, corrupt or not a model this build \
                 reads (-vv shows llama.cpp's reason); pass --model-path a GGUF file, or --local-model a \
                 model of llm/models.toml",
                path.display()
            ))
        })?;
        let model = Arc::new(model);
        // Models without an embedded template get ChatML, the most common format.
        let built_in = |name: &str| {
            LlamaChatTemplate::new(name)
                .map_err(|e| LlmError::Model(format!("cannot build the {name} chat template: {e}")))
        };
        let template = match template {
            Some(name) => built_in(name)?,
            None => match model.chat_template(None) {
                Ok(template) => template,
                Err(_) => built_in("chatml")?,
            },
        };
        let context_size = options.context_size.min(model.n_ctx_train().max(64));
        let threads = options
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from))
            .max(1);
        let stats = Arc::new(StatsCounters::default());
        let (jobs, queue) = mpsc::channel(options.queue_capacity);
        worker::spawn(
            backend,
            Arc::clone(&model),
            worker::WorkerConfig {
                threads,
                context_size,
                max_sequences: options.max_sequences,
                prefix_cache: options.prefix_cache,
            },
            queue,
            Arc::clone(&stats),
        )?;
        Ok(Self { name, model, template, jobs, stats, context_size, timeout: options.timeout })
    }

    /// Counters of the decoding thread.
    pub fn stats(&self) -> LocalStats {
        let s = &self.stats;
        LocalStats {
            max_batch_seqs_seen: s.max_batch_seqs_seen.load(Ordering::Relaxed),
            decode_calls: s.decode_calls.load(Ordering::Relaxed),
            prompt_tokens: s.prompt_tokens.load(Ordering::Relaxed),
            generated_tokens: s.generated_tokens.load(Ordering::Relaxed),
            requests_finished: s.requests_finished.load(Ordering::Relaxed),
            reused_prompt_tokens: s.reused_prompt_tokens.load(Ordering::Relaxed),
        }
    }

    /// KV-cache cells shared by all requests (prompt plus answer of each).
    pub fn context_size(&self) -> u32 {
        self.context_size
    }

    /// The prompt exactly as the model sees it, rendered with its chat template.
    pub fn render_prompt(&self, request: &ChatRequest) -> Result<String, LlmError> {
        let mut messages = Vec::with_capacity(request.messages.len());
        for message in &request.messages {
            let role = match message.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            // A NUL cannot cross into C and carries no meaning in a prompt.
            let content = message.content.replace('\0', "");
            let message = LlamaChatMessage::new(role.to_owned(), content)
                .map_err(|e| LlmError::Model(format!("cannot pass a message to llama.cpp: {e}")))?;
            messages.push(message);
        }
        self.model.apply_chat_template(&self.template, &messages, true).map_err(|e| {
            LlmError::Model(format!("the model's chat template failed on this conversation: {e}"))
        })
    }

    fn sampler(&self, request: &ChatRequest) -> LlamaSampler {
        if request.temperature <= 0.0 {
            return LlamaSampler::greedy();
        }
        // llama.cpp draws a random seed for this value.
        const RANDOM_SEED: u32 = u32::MAX;
        let seed = request.seed.map_or(RANDOM_SEED, |s| (s ^ (s >> 32)) as u32);
        // llama.cpp's own defaults for the truncation samplers.
        LlamaSampler::chain_simple([
            LlamaSampler::top_k(40),
            LlamaSampler::top_p(0.95, 1),
            LlamaSampler::min_p(0.05, 1),
            LlamaSampler::temp(request.temperature),
            LlamaSampler::dist(seed),
        ])
    }

    /// Whether a request carrying `schema` is decoded under a grammar (`Ok(false)`: our
    /// converter cannot express it, so the answer is only validated at the end), or the
    /// error llama.cpp gives for the grammar.
    pub fn constrains(&self, schema: &serde_json::Value) -> Result<bool, LlmError> {
        self.grammar(schema).map(|g| g.is_some())
    }

    /// The grammar sampler for a schema-carrying request. A schema our converter cannot
    /// express is decoded freely and only validated at the end.
    fn grammar(&self, schema: &serde_json::Value) -> Result<Option<LlamaSampler>, LlmError> {
        let grammar = match gbnf::json_schema_to_gbnf(schema) {
            Ok(grammar) => grammar,
            Err(e) => {
                tracing::warn!("decoding without a grammar: {e}");
                return Ok(None);
            }
        };
        LlamaSampler::grammar(&self.model, &grammar, "root").map(Some).map_err(|e| {
            LlmError::Model(format!(
                "llama.cpp rejected the grammar made from the JSON schema ({e}):\n{grammar}"
            ))
        })
    }
}

#[async_trait]
impl ChatModel for LocalModel {
    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, LlmError> {
        let started = Instant::now();
        let prompt = self.render_prompt(&request)?;
        let tokens = self.model.vocab().tokenize(prompt.as_bytes(), true, true);
        let prompt_len = u32::try_from(tokens.len()).unwrap_or(u32::MAX);
        if prompt_len >= self.context_size {
            return Err(LlmError::Model(format!(
                "the prompt has {prompt_len} tokens but the local model's context holds {}; shorten the \
                 prompt or raise the context size",
                self.context_size
            )));
        }
        let max_tokens = request.max_tokens.min(self.context_size - prompt_len);
        let grammar = match &request.json_schema {
            Some(schema) => self.grammar(schema)?,
            None => None,
        };
        let (reply, answer) = oneshot::channel();
        let job = Job {
            prompt: tokens,
            max_tokens,
            stop: request.stop.iter().filter(|s| !s.is_empty()).cloned().collect(),
            sampler: self.sampler(&request),
            grammar,
            reply,
        };
        let stopped = || LlmError::Model("the local model's decoding thread has stopped".to_owned());
        let decode = async {
            self.jobs.send(job).await.map_err(|_| stopped())?;
            answer.await.map_err(|_| stopped())?
        };
        // Dropping the answer's receiver on timeout makes the worker free its sequence.
        let generated = match self.timeout {
            Some(limit) => tokio::time::timeout(limit, decode).await.map_err(|_| {
                LlmError::Model(format!("the local model did not answer within {:.1} s", limit.as_secs_f64()))
            })??,
            None => decode.await?,
        };
        if let Some(schema) = &request.json_schema {
            schema::check_answer(&generated.text, schema).map_err(LlmError::InvalidResponse)?;
        }
        Ok(ChatResponse {
            content: generated.text,
            usage: Usage {
                prompt_tokens: u64::from(prompt_len),
                completion_tokens: generated.completion_tokens,
            },
            latency: started.elapsed(),
            retries: 0,
            cached: false,
        })
    }

    fn model_name(&self) -> String {
        self.name.clone()
    }
}
