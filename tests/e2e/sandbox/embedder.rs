//! An embedding plugin that breaks the embedder's rules on purpose
//! (`misfits/warped`, contract 0.2.1): every answer is checked before the
//! host uses it, a call that never returns is stopped at the deadline and an
//! answer too large for the limits at its limit, each error names the
//! plugin and the call, and the same plugin serves a well-formed request
//! afterwards. Its claim on Cohere's embedding ids is refused through the
//! real binary until the user chooses.

use std::time::Instant;

use bedrock_host::plugin::embedding::{EmbeddingFormat, EmbeddingInput, EmbeddingRequest};
use bedrock_host::plugin::{CompileCache, Limit, LoadedPlugin, PluginError, PluginRuntime};

use super::{TIMEOUT, assert_bounded, limits, misfit};
use crate::support::{bedrock_host, plugins_dir, run};

async fn warped(runtime: &PluginRuntime) -> LoadedPlugin {
    runtime.load(&misfit("warped")).await.expect("warped loads")
}

fn runtime() -> PluginRuntime {
    PluginRuntime::new(limits(), CompileCache::disabled()).expect("engine")
}

fn request(model: &str, inputs: usize) -> EmbeddingRequest {
    EmbeddingRequest {
        model_id: model.to_owned(),
        inputs: (0..inputs)
            .map(|i| EmbeddingInput::Text(format!("input {i}")))
            .collect(),
        dimensions: None,
        purpose: None,
        normalize: None,
        formats: Vec::new(),
        extra: Vec::new(),
    }
}

/// `warped.polite` answers three inputs in the formats asked, so the plugin
/// still serves after whatever came before.
async fn still_serves(plugin: &LoadedPlugin) {
    let mut sandbox = plugin.sandbox().await.expect("sandbox");
    for formats in [vec![], vec![EmbeddingFormat::Int8, EmbeddingFormat::Float]] {
        let answer = sandbox
            .parse_embedding_response("warped.polite", 3, &formats, b"{}")
            .await
            .expect("a well-formed answer passes");
        assert_eq!(answer.sets.len(), formats.len().max(1));
        assert!(answer.sets.iter().all(|set| set.vectors.len() == 3));
    }
}

#[tokio::test]
async fn every_embedding_answer_breaking_the_rules_is_refused_naming_the_rule() {
    let runtime = runtime();
    let plugin = warped(&runtime).await;
    assert_eq!(plugin.contract_version(), "0.2.1");
    assert!(plugin.embedding_model("warped.short").is_some());
    for (rule, says) in [
        ("short", "the float set holds 2 vectors for 3 inputs"),
        ("ragged", "empty or of different lengths"),
        ("empty", "empty or of different lengths"),
        ("nan", "a value that is not a finite number"),
        (
            "wrong-format",
            "the formats [binary], not the ones asked for, [float]",
        ),
        (
            "extra-format",
            "the formats [float, ubinary], not the ones asked for",
        ),
    ] {
        let mut sandbox = plugin.sandbox().await.expect("sandbox");
        let error = sandbox
            .parse_embedding_response(&format!("warped.{rule}"), 3, &[], b"{}")
            .await
            .expect_err(rule);
        assert!(
            matches!(error, PluginError::Contract { .. }),
            "{rule}: {error:?}"
        );
        let text = error.to_string();
        assert!(
            text.starts_with("plugin `warped` broke the contract in parse-embedding-response"),
            "{rule}: {text}"
        );
        assert!(text.contains(says), "{rule}: {text}");
    }
    still_serves(&plugin).await;
}

#[tokio::test]
async fn a_ranking_breaking_the_rules_is_refused_and_a_good_one_passes() {
    let runtime = runtime();
    let plugin = warped(&runtime).await;
    assert!(plugin.rerank_model("warped-rerank.twice").is_some());
    for (rule, says) in [
        ("beyond", "it ranks document 100 of 3"),
        ("twice", "it ranks document 1 twice"),
        ("inf", "the score of document 0 is not a finite number"),
    ] {
        let mut sandbox = plugin.sandbox().await.expect("sandbox");
        let error = sandbox
            .parse_rerank_response(&format!("warped-rerank.{rule}"), 3, b"{}")
            .await
            .expect_err(rule);
        let text = error.to_string();
        assert!(
            text.starts_with("plugin `warped` broke the contract in parse-rerank-response"),
            "{rule}: {text}"
        );
        assert!(text.contains(says), "{rule}: {text}");
    }
    let mut sandbox = plugin.sandbox().await.expect("sandbox");
    let ranked = sandbox
        .parse_rerank_response("warped-rerank.polite", 3, b"{}")
        .await
        .expect("a well-formed ranking passes");
    assert_eq!(
        ranked.iter().map(|r| r.index).collect::<Vec<_>>(),
        vec![1, 0]
    );
}

#[tokio::test]
async fn an_embedder_call_that_never_returns_is_stopped_at_the_deadline() {
    let runtime = runtime();
    let plugin = warped(&runtime).await;

    let mut sandbox = plugin.sandbox().await.expect("sandbox");
    let started = Instant::now();
    let error = sandbox
        .build_embedding_request(&request("warped.spin-build", 2))
        .await
        .expect_err("the loop is stopped");
    assert_bounded(&error.to_string(), started.elapsed(), TIMEOUT);
    assert!(
        matches!(&error, PluginError::Limit { limit: Limit::Time(t), call, .. } if *t == TIMEOUT && *call == "build-embedding-request"),
        "{error:?}"
    );
    assert!(error.to_string().starts_with("plugin `warped` "), "{error}");

    let mut sandbox = plugin.sandbox().await.expect("sandbox");
    let started = Instant::now();
    let error = sandbox
        .parse_embedding_response("warped.spin-parse", 2, &[], b"{}")
        .await
        .expect_err("the loop is stopped");
    assert_bounded(&error.to_string(), started.elapsed(), TIMEOUT);
    assert!(
        matches!(&error, PluginError::Limit { limit: Limit::Time(_), call, .. } if *call == "parse-embedding-response"),
        "{error:?}"
    );
    still_serves(&plugin).await;
}

#[tokio::test]
async fn an_answer_of_millions_of_values_is_stopped_at_a_limit() {
    let runtime = runtime();
    let plugin = warped(&runtime).await;
    let mut sandbox = plugin.sandbox().await.expect("sandbox");
    let started = Instant::now();
    let error = sandbox
        .parse_embedding_response("warped.flood", 4, &[], b"{}")
        .await
        .expect_err("the flood is stopped");
    assert_bounded(&error.to_string(), started.elapsed(), TIMEOUT);
    assert!(
        matches!(
            &error,
            PluginError::Limit {
                limit: Limit::Memory(_) | Limit::Output { .. },
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().starts_with("plugin `warped` "), "{error}");
    still_serves(&plugin).await;
}

#[test]
fn a_stranger_claiming_a_first_party_embedding_id_is_refused_until_the_user_chooses() {
    let folder = tempfile::tempdir().expect("temp dir");
    let file = folder.path().join("warped.wasm");
    std::fs::copy(misfit("warped"), &file).expect("copy misfit");
    let embed = |extra: &[&str]| {
        let mut command = bedrock_host();
        command
            .arg("--plugins-dir")
            .arg(folder.path())
            .args(["--local", "embed", "-m", "cohere.embed-english-v3"])
            .args(extra)
            .args(["--output", "json", "Hello"]);
        run(command)
    };
    let refused = embed(&[]);
    assert_eq!(refused.code, Some(3), "{}", refused.stderr);
    for expected in [
        "`cohere.embed-english-v3` is claimed by 2 plugins".to_owned(),
        format!(
            "`cohere` (pattern `cohere.embed-english-v3*`, file {})",
            plugins_dir().join("cohere.wasm").display()
        ),
        format!(
            "`warped` (pattern `cohere.embed-*`, file {})",
            file.display()
        ),
        "--family NAME".to_owned(),
    ] {
        assert!(
            refused.stderr.contains(&expected),
            "{expected}\n{}",
            refused.stderr
        );
    }
    assert!(refused.stdout.is_empty() || !refused.stdout.contains("embeddings"));

    let chosen = embed(&["--family", "cohere"]);
    assert_eq!(chosen.code, Some(0), "{}", chosen.stderr);
    assert_eq!(chosen.json()["plugin"], "cohere");
    assert_eq!(
        chosen.json()["embeddings"].as_array().map(Vec::len),
        Some(1)
    );
}
