//! `gen chat`: one prompt to the configured model, for checking a backend. The answer goes
//! to stdout, a one-line usage and latency summary to stderr.

use crate::args::ChatArgs;
use crate::config::{Backend, ModelConfig};
use anyhow::Context;
use llm::{ChatRequest, Message};
use std::process::ExitCode;

pub fn run(args: ChatArgs, model: ModelConfig) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let _in_runtime = runtime.enter();
    let chat_model = super::model::build_model(&model, None)?;

    let mut messages = Vec::new();
    if let Some(system) = args.system {
        messages.push(Message::system(system));
    }
    messages.push(Message::user(args.prompt));
    let mut request = ChatRequest::new(messages);
    request.max_tokens = args.max_tokens;
    request.temperature = args.temperature;

    let response = runtime
        .block_on(chat_model.chat(request))
        .with_context(|| format!("{} did not answer", describe(&model.backend)))?;
    outln!("{}", response.content);
    eprintln!(
        "{}: {} prompt + {} completion tokens, {:.2} s, {} retries",
        chat_model.model_name(),
        response.usage.prompt_tokens,
        response.usage.completion_tokens,
        response.latency.as_secs_f64(),
        response.retries
    );
    Ok(ExitCode::SUCCESS)
}

fn describe(backend: &Backend) -> String {
    match backend {
        Backend::OpenAi { api_base, model } => format!("model {model} at {api_base}"),
        Backend::Local(choice) => format!("the local model {}", choice.model_name()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;

    #[test]
    fn an_unreachable_endpoint_is_a_one_line_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}/v1");
        let cli =
            Cli::try_parse_from(["gen", "chat", "--api-base", &base, "--max-retries", "0", "hi"]).unwrap();
        let Command::Chat(args) = cli.command else { panic!("not the chat command") };
        let model = crate::config::resolve_model(&args.model, &Default::default()).unwrap();
        let err = format!("{:#}", run(args, model).unwrap_err());
        assert!(err.contains("did not answer") && err.contains(&base), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}
