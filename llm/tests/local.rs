//! The local backend on the table's test model (SmolLM2-135M, ~100 MB, installed by
//! `scripts/setup`). Each test skips with a message when the file is absent, and fails
//! instead under `GEN_REQUIRE_ALL=1` (set by `scripts/test`).
#![cfg(feature = "local")]
#![allow(clippy::unwrap_used)]

use llm::local::{LocalModel, LocalOptions};
use llm::models;
use llm::{ChatModel, ChatRequest, LlmError, Message};
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};

/// One model for the whole file: loading is the slow part, and sharing it also checks
/// that a `LocalModel` serves requests from many tests at once.
fn model() -> Option<Arc<LocalModel>> {
    static MODEL: OnceLock<Option<Arc<LocalModel>>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let spec = models::table().test_model();
            if !spec.path().is_file() {
                let why = format!("no model at {}; run scripts/setup", spec.path().display());
                assert!(
                    std::env::var_os("GEN_REQUIRE_ALL").is_none_or(|v| v != "1"),
                    "GEN_REQUIRE_ALL: {why}"
                );
                eprintln!("SKIP: {why}");
                return None;
            }
            Some(Arc::new(LocalModel::load_named(spec, one_thread()).unwrap()))
        })
        .clone()
}

/// One thread: llama.cpp's worker threads spin at barriers, which collapses throughput
/// when the test machine is oversubscribed (as CI machines are).
fn one_thread() -> LocalOptions {
    LocalOptions { threads: Some(1), ..LocalOptions::default() }
}

/// llama.cpp does not promise bit-identical logits across batch compositions, so tests that compare
/// outputs must not share batches with other tests: every model test holds this lock.
async fn exclusive() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

fn ask(question: &str, max_tokens: u32) -> ChatRequest {
    let mut request = ChatRequest::new(vec![Message::user(question)]);
    request.max_tokens = max_tokens;
    request
}

#[tokio::test]
async fn answers_a_chat_round_trip() {
    let Some(model) = model() else { return };
    let _serial = exclusive().await;
    assert_eq!(model.model_name(), "SmolLM2-135M-Instruct.Q4_1");
    let response = model.chat(ask("What is the capital of France?", 16)).await.unwrap();
    assert!(response.content.contains("Paris"), "{response:?}");
    assert!(response.usage.prompt_tokens > 5, "{response:?}");
    assert!((1..=16).contains(&response.usage.completion_tokens), "{response:?}");
    assert!(!response.cached);
}

#[tokio::test]
async fn uses_the_models_chat_template() {
    let Some(model) = model() else { return };
    let _serial = exclusive().await;
    let request = ChatRequest::new(vec![Message::system("Be brief."), Message::user("Hi")]);
    let prompt = model.render_prompt(&request).unwrap();
    assert_eq!(
        prompt,
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    );
}

#[tokio::test]
async fn schema_constrained_answer_parses_and_validates() {
    let Some(model) = model() else { return };
    let _serial = exclusive().await;
    let schema = json!({
        "type": "object",
        "properties": {
            "city": {"type": "string", "maxLength": 40},
            "country": {"type": "string", "maxLength": 40},
            "population_millions": {"type": "number"},
            "is_capital": {"type": "boolean"},
            "size": {"enum": ["small", "medium", "large"]},
            "landmarks": {"type": "array", "items": {"type": "string", "maxLength": 40}, "maxItems": 3}
        },
        "required": ["city", "country", "is_capital", "size", "landmarks"]
    });
    let mut request = ask("Describe Paris as JSON.", 160);
    request.json_schema = Some(schema);
    let response = model.chat(request).await.unwrap();
    let answer: Value = serde_json::from_str(&response.content).unwrap();
    for key in ["city", "country", "is_capital", "size", "landmarks"] {
        assert!(answer.get(key).is_some(), "no `{key}` in {answer}");
    }
    assert!(answer["is_capital"].is_boolean(), "{answer}");
    assert!(["small", "medium", "large"].contains(&answer["size"].as_str().unwrap()), "{answer}");
    assert!(answer["landmarks"].as_array().unwrap().len() <= 3, "{answer}");
}

/// llama.cpp copies a repeated group once per repetition: long bounded strings inside a
/// bounded array (a program draft's stdin texts) once made a grammar it refused.
#[tokio::test]
async fn bounded_strings_in_a_bounded_array_are_a_grammar_llama_cpp_accepts() {
    let Some(model) = model() else { return };
    let _serial = exclusive().await;
    let schema = json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 60},
            "inputs": {"type": "array", "items": {"type": "string", "maxLength": 400}, "minItems": 5, "maxItems": 10},
        },
        "required": ["name", "inputs"]
    });
    let mut request = ask("Give five short texts as JSON.", 200);
    request.json_schema = Some(schema);
    match model.chat(request).await {
        Ok(_) => {}
        Err(LlmError::InvalidResponse(_)) => {} // cut short by max_tokens: the grammar was used
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn an_answer_cut_short_by_max_tokens_is_reported_invalid() {
    let Some(model) = model() else { return };
    let _serial = exclusive().await;
    let mut request = ask("Describe Paris as JSON.", 3);
    request.json_schema = Some(json!({
        "type": "object",
        "properties": {"description": {"type": "string"}},
        "required": ["description"]
    }));
    match model.chat(request).await {
        Err(LlmError::InvalidResponse(reason)) => assert!(reason.contains("not JSON"), "{reason}"),
        other => panic!("expected an invalid response, got {other:?}"),
    }
}

#[tokio::test]
async fn concurrent_requests_share_decode_batches() {
    let Some(model) = model() else { return };
    let _serial = exclusive().await;
    let before = model.stats();
    let questions = ["Name three colors.", "Count from one to ten in words."];
    let calls = questions.map(|q| {
        let model = Arc::clone(&model);
        tokio::spawn(async move { model.chat(ask(q, 24)).await })
    });
    for call in calls {
        let response = call.await.unwrap().unwrap();
        assert!(response.usage.completion_tokens > 0, "{response:?}");
    }
    let after = model.stats();
    assert!(after.max_batch_seqs_seen >= 2, "the two requests never shared a decode: {after:?}");
    assert!(after.requests_finished >= before.requests_finished + 2, "{before:?} -> {after:?}");
}

#[tokio::test]
async fn greedy_decoding_is_reproducible() {
    let Some(model) = model() else { return };
    let _serial = exclusive().await;
    let request = ask("Write one sentence about the sea.", 24);
    let first = model.chat(request.clone()).await.unwrap();
    let second = model.chat(request).await.unwrap();
    assert!(!first.content.is_empty());
    assert_eq!(first.content, second.content);
}

#[tokio::test]
async fn stop_strings_and_max_tokens_end_the_answer() {
    let Some(model) = model() else { return };
    let _serial = exclusive().await;
    let question = "Write two sentences about the moon.";
    let free = model.chat(ask(question, 32)).await.unwrap();
    // Stop at the third word of the free answer: greedy decoding repeats the answer up to
    // the first occurrence of that word and no further.
    let Some(stop) = free.content.split_whitespace().nth(2) else {
        panic!("too short to pick a stop string from: {:?}", free.content);
    };
    let cut = free.content.find(stop).unwrap();
    let mut request = ask(question, 32);
    request.stop = vec![stop.to_owned()];
    let stopped = model.chat(request).await.unwrap();
    assert_eq!(stopped.content, free.content[..cut], "stop string {stop:?}");

    let short = model.chat(ask("Write a long story about a dragon.", 5)).await.unwrap();
    assert_eq!(short.usage.completion_tokens, 5, "{short:?}");
}

#[tokio::test]
async fn seeded_sampling_repeats_and_different_seeds_can_differ() {
    let Some(model) = model() else { return };
    let _serial = exclusive().await;
    let sample = |seed| {
        let mut request = ask("Invent a name for a cat.", 12);
        request.temperature = 1.0;
        request.seed = Some(seed);
        let model = Arc::clone(&model);
        async move { model.chat(request).await.unwrap().content }
    };
    assert_eq!(sample(7).await, sample(7).await);
    let mut outputs = Vec::new();
    for seed in 1..=4 {
        outputs.push(sample(seed).await);
    }
    outputs.dedup();
    assert!(outputs.len() > 1, "four seeds gave the same answer: {outputs:?}");
}

#[test]
fn a_missing_model_file_says_how_to_get_one() {
    let message = LocalModel::load(std::path::Path::new("/nonexistent/model.gguf"), LocalOptions::default())
        .unwrap_err()
        .to_string();
    assert!(message.contains("/nonexistent/model.gguf") && message.contains("--model-path"), "{message}");
    let mut spec = models::table().test_model().clone();
    spec.file = "not-installed.gguf".to_owned();
    let message = LocalModel::load_named(&spec, LocalOptions::default()).unwrap_err().to_string();
    assert!(
        message.contains("not installed") && message.contains("scripts/setup --model smollm2-135m"),
        "{message}"
    );
}

#[test]
fn a_truncated_model_file_is_an_error_not_a_crash() {
    if model().is_none() {
        return;
    }
    let full = std::fs::read(models::table().test_model().path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (name, len) in [("header.gguf", 64), ("half.gguf", full.len() / 2), ("most.gguf", full.len() - 4096)]
    {
        let path = dir.path().join(name);
        std::fs::write(&path, &full[..len]).unwrap();
        let error = LocalModel::load(&path, LocalOptions::default()).unwrap_err();
        assert!(matches!(error, LlmError::ModelFile(_)), "{name}: {error:?}");
        assert!(error.to_string().contains(name), "{error}");
    }
}

#[tokio::test]
async fn a_shared_prompt_head_is_decoded_once_and_answers_do_not_change() {
    let Some(model) = model() else { return };
    let _serial = exclusive().await;
    let head = "You are a careful assistant. ".repeat(40);
    let request = |question: &str| {
        let mut r = ChatRequest::new(vec![Message::system(head.clone()), Message::user(question)]);
        r.max_tokens = 12;
        r
    };
    // Against a model with reuse off, the same two requests must give the same answers.
    let cold = LocalModel::load_named(
        models::table().test_model(),
        LocalOptions { prefix_cache: false, ..one_thread() },
    )
    .unwrap();
    for question in ["Name a fruit.", "Name a colour."] {
        let before = model.stats();
        let warm_answer = model.chat(request(question)).await.unwrap();
        let reused = model.stats().reused_prompt_tokens - before.reused_prompt_tokens;
        let cold_answer = cold.chat(request(question)).await.unwrap();
        assert_eq!(warm_answer.content, cold_answer.content, "{question}");
        if question == "Name a colour." {
            // The system prompt (200+ tokens) was decoded for the first question.
            assert!(reused >= 200, "reused {reused} of {} prompt tokens", warm_answer.usage.prompt_tokens);
        }
    }
    assert_eq!(cold.stats().reused_prompt_tokens, 0);
}

#[tokio::test]
async fn a_request_past_its_timeout_fails_and_frees_its_sequence() {
    if model().is_none() {
        return;
    }
    let options = LocalOptions { timeout: Some(std::time::Duration::from_millis(1)), ..one_thread() };
    let model = LocalModel::load_named(models::table().test_model(), options).unwrap();
    let error = model.chat(ask("Write a long story about a dragon.", 200)).await.unwrap_err();
    assert!(error.to_string().contains("did not answer within"), "{error}");
    // The worker sees the dropped request and ends its sequence instead of decoding on.
    for _ in 0..500 {
        if model.stats().requests_finished == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let stats = model.stats();
    assert_eq!(stats.requests_finished, 1, "{stats:?}");
    assert!(stats.generated_tokens < 200, "{stats:?}");
}

#[tokio::test]
async fn resident_prefixes_are_evicted_when_a_small_context_fills() {
    if model().is_none() {
        return;
    }
    // 640 cells: each request needs ~330, so at most one resident prefix fits beside a
    // running request and every admission must evict.
    let options = LocalOptions { context_size: 640, max_sequences: 2, ..one_thread() };
    let model = Arc::new(LocalModel::load_named(models::table().test_model(), options).unwrap());
    let request = |i: usize| {
        let head = format!("Topic {i}. ") + &"Answer in one short sentence, plainly. ".repeat(38);
        let mut r = ChatRequest::new(vec![Message::system(head), Message::user("Name a colour.")]);
        r.max_tokens = 16;
        r
    };
    for i in 0..3 {
        let answer = model.chat(request(i)).await.unwrap();
        assert!(answer.usage.prompt_tokens > 250, "{answer:?}");
    }
    let calls: Vec<_> = (0..4)
        .map(|i| {
            let model = Arc::clone(&model);
            tokio::spawn(async move { model.chat(request(i % 2)).await })
        })
        .collect();
    for call in calls {
        call.await.unwrap().unwrap();
    }
    let stats = model.stats();
    assert_eq!(stats.requests_finished, 7, "{stats:?}");
    assert!(stats.reused_prompt_tokens > 0, "{stats:?}");
}
