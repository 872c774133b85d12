//! Throughput of the local backend: time to first token, prompt tokens/s, tokens/s for one
//! stream and for eight concurrent streams (128 new tokens each, greedy), and prefix reuse
//! (time to first token of a ~1,000-token prompt whose first ~800 tokens were decoded
//! before, against a prompt never seen), one figure per line.
//!
//! ```text
//! cargo run --release -p llm --features local --example local_bench [-- [NAME|MODEL.gguf] [--threads N]]
//! ```
//! NAME is a model of `llm/models.toml` (default: the table's test model).

#[cfg(feature = "local")]
mod bench {
    use llm::local::{LocalModel, LocalOptions};
    use llm::{ChatModel, ChatRequest, Message};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    const NEW_TOKENS: u32 = 128;
    const STREAMS: usize = 8;
    const TOPICS: [&str; STREAMS] =
        ["a dragon", "a lighthouse", "a robot", "a river", "a baker", "a comet", "an old map", "a violin"];

    fn story(topic: &str, max_tokens: u32) -> ChatRequest {
        let mut request = ChatRequest::new(vec![Message::user(format!("Write a long story about {topic}."))]);
        request.max_tokens = max_tokens;
        request
    }

    /// Completion tokens and wall time of `requests` sent at once.
    async fn run(
        model: &Arc<LocalModel>,
        requests: Vec<ChatRequest>,
    ) -> Result<(u64, Duration), llm::LlmError> {
        let started = Instant::now();
        let calls: Vec<_> = requests
            .into_iter()
            .map(|request| {
                let model = Arc::clone(model);
                tokio::spawn(async move { model.chat(request).await })
            })
            .collect();
        let mut tokens = 0;
        for call in calls {
            let response = call.await.map_err(|e| llm::LlmError::Model(e.to_string()))??;
            tokens += response.usage.completion_tokens;
        }
        Ok((tokens, started.elapsed()))
    }

    /// A prompt of about `rules` × 40 tokens that starts with `session`'s shared head
    /// (~800 tokens) and ends with a question of its own.
    fn with_head(session: usize, question: &str) -> ChatRequest {
        let mut head = format!("Session {session}. You review code submissions. Follow every rule.\n");
        for rule in 1..=22 {
            head.push_str(&format!(
                "Rule {rule}: a submission numbered {rule} must keep its functions short, name every \
                 parameter clearly, avoid global state, and return a value instead of printing it.\n"
            ));
        }
        let mut request = ChatRequest::new(vec![Message::system(head), Message::user(question.to_owned())]);
        request.max_tokens = 1;
        request
    }

    /// A question of about 200 tokens.
    fn long_question(variant: &str) -> String {
        let mut q = format!("Submission {variant}: ");
        for line in 0..9 {
            q.push_str(&format!(
                "line {line} of {variant} computes a running total of the squares of its inputs. "
            ));
        }
        q + "Which rules does it break?"
    }

    pub async fn main() -> Result<(), llm::LlmError> {
        let mut which = None;
        let mut options = LocalOptions::default();
        let mut args = std::env::args().skip(1);
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--threads" => options.threads = args.next().and_then(|n| n.parse().ok()),
                _ => which = Some(arg),
            }
        }
        let table = llm::models::table();
        let model = match which.as_deref().map(|w| (w, table.get(w))) {
            Some((_, Some(spec))) => LocalModel::load_named(spec, options.clone())?,
            Some((path, None)) => LocalModel::load(std::path::Path::new(path), options.clone())?,
            None => LocalModel::load_named(table.test_model(), options.clone())?,
        };
        let model = Arc::new(model);
        let threads =
            options.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
        println!("model {} ({threads} threads)", model.model_name());
        // Warm caches and pages of the mapped model file.
        run(&model, vec![story("a cat", 16)]).await?;

        let mut first_token = Vec::new();
        for topic in TOPICS.iter().take(5) {
            let started = Instant::now();
            model.chat(story(topic, 1)).await?;
            first_token.push(started.elapsed());
        }
        first_token.sort();
        println!("time_to_first_token_ms {:.1} (median of 5)", first_token[2].as_secs_f64() * 1e3);

        // Prompt processing, and prefix reuse: per session, a cold prompt (its head never
        // seen), then a warm one (same head, a different question).
        let (mut cold, mut warm) = (Vec::new(), Vec::new());
        let (mut prompt_tokens, mut cold_time) = (0, Duration::ZERO);
        for session in 0..5 {
            let before = model.stats().reused_prompt_tokens;
            let started = Instant::now();
            let response = model.chat(with_head(session, &long_question("A"))).await?;
            cold.push(started.elapsed());
            cold_time += started.elapsed();
            prompt_tokens += response.usage.prompt_tokens;
            let reused_cold = model.stats().reused_prompt_tokens - before;
            let started = Instant::now();
            let response = model.chat(with_head(session, &long_question("B"))).await?;
            warm.push(started.elapsed());
            let reused = model.stats().reused_prompt_tokens - before - reused_cold;
            if session == 0 {
                println!(
                    "prefix_prompt_tokens {} (reused warm {reused}, cold {reused_cold})",
                    response.usage.prompt_tokens
                );
            }
        }
        println!(
            "prompt_tokens_per_s {:.1} (cold prompts, first token included)",
            prompt_tokens as f64 / cold_time.as_secs_f64()
        );
        cold.sort();
        warm.sort();
        println!(
            "prefix_ttft_ms cold {:.1} warm {:.1} ({:.2}x, medians of 5)",
            cold[2].as_secs_f64() * 1e3,
            warm[2].as_secs_f64() * 1e3,
            cold[2].as_secs_f64() / warm[2].as_secs_f64()
        );

        let (tokens, elapsed) = run(&model, vec![story(TOPICS[0], NEW_TOKENS)]).await?;
        let one = tokens as f64 / elapsed.as_secs_f64();
        println!("tokens_per_s_1_stream {one:.1} ({tokens} tokens in {:.2} s)", elapsed.as_secs_f64());

        let requests = TOPICS.iter().map(|topic| story(topic, NEW_TOKENS)).collect();
        let (tokens, elapsed) = run(&model, requests).await?;
        let many = tokens as f64 / elapsed.as_secs_f64();
        println!(
            "tokens_per_s_{STREAMS}_streams {many:.1} ({tokens} tokens in {:.2} s, {:.2}x one stream, batch of up to {})",
            elapsed.as_secs_f64(),
            many / one,
            model.stats().max_batch_seqs_seen
        );
        Ok(())
    }
}

#[cfg(feature = "local")]
#[tokio::main]
async fn main() -> Result<(), llm::LlmError> {
    bench::main().await
}

#[cfg(not(feature = "local"))]
fn main() {
    eprintln!(
        "local_bench needs the `local` feature: cargo run --release -p llm --features local --example local_bench"
    );
}
