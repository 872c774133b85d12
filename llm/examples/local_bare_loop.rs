//! The reference for `local_bench`: a bare llama-cpp-2 greedy loop (one sequence, no
//! worker thread, no channels) over the same prompt, so the backend's overhead can be
//! measured on the same machine at the same moment.
//!
//! ```text
//! cargo run --release -p llm --features local --example local_bare_loop [-- [NAME|MODEL.gguf] [--threads N]]
//! ```
//! NAME is a model of `llm/models.toml` (default: the table's test model).

#[cfg(feature = "local")]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    use llama_cpp_2::context::params::LlamaContextParams;
    use llama_cpp_2::llama_backend::LlamaBackend;
    use llama_cpp_2::llama_batch::LlamaBatch;
    use llama_cpp_2::model::params::LlamaModelParams;
    use llama_cpp_2::model::{LlamaChatMessage, LlamaModel};
    use llama_cpp_2::sampling::LlamaSampler;
    use std::time::Instant;

    const NEW_TOKENS: i32 = 128;
    let table = llm::models::table();
    let mut path = table.test_model().path();
    let mut threads = std::thread::available_parallelism().map_or(1, usize::from);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = args.next().and_then(|n| n.parse().ok()).unwrap_or(threads),
            _ => path = table.get(&arg).map_or_else(|| arg.into(), llm::ModelSpec::path),
        }
    }
    let threads = i32::try_from(threads)?;
    llama_cpp_2::send_logs_to_tracing(llama_cpp_2::LogOptions::default());
    let backend = LlamaBackend::init()?;
    let model = LlamaModel::load_from_file(&backend, &path, &LlamaModelParams::default())?;
    let params = LlamaContextParams::default()
        .with_n_ctx(std::num::NonZeroU32::new(2048))
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    let mut ctx = model.new_context(&backend, params)?;
    // The template the backend uses for the table models.
    let template = llama_cpp_2::model::LlamaChatTemplate::new("chatml")?;
    let message = LlamaChatMessage::new("user".to_owned(), "Write a long story about a dragon.".to_owned())?;
    let prompt = model.apply_chat_template(&template, &[message], true)?;
    let tokens = model.vocab().tokenize(prompt.as_bytes(), true, true);

    let started = Instant::now();
    let mut batch = LlamaBatch::new(512, 1);
    batch.add_sequence(&tokens, 0, false)?;
    ctx.decode(&mut batch)?;
    let mut sampler = LlamaSampler::greedy();
    let start = i32::try_from(tokens.len())?;
    let mut first_token = None;
    for pos in start..start + NEW_TOKENS {
        let token = sampler.sample(&ctx, batch.n_tokens() - 1);
        first_token.get_or_insert_with(|| started.elapsed());
        batch.clear();
        batch.add(token, pos, &[0], true)?;
        ctx.decode(&mut batch)?;
    }
    let elapsed = started.elapsed();
    let first_token = first_token.unwrap_or_default();
    println!("bare_time_to_first_token_ms {:.1}", first_token.as_secs_f64() * 1e3);
    println!(
        "bare_tokens_per_s_1_stream {:.1} ({NEW_TOKENS} tokens in {:.2} s, {threads} threads)",
        f64::from(NEW_TOKENS) / elapsed.as_secs_f64(),
        elapsed.as_secs_f64()
    );
    Ok(())
}

#[cfg(not(feature = "local"))]
fn main() {
    eprintln!("local_bare_loop needs the `local` feature");
}
