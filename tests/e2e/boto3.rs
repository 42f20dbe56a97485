//! boto3 against `serve-local`: `tests/boto3/check_families.py`, run with the
//! python of the venv `cargo xtask test` makes (`target/test-venv`, named by
//! `BEDROCK_TEST_PYTHON`), invokes every family added since the notebook
//! (gpt-oss invoked and streamed, DeepSeek-R1, Palmyra, Cohere Embed v3/v4
//! and Rerank 3.5, Titan V2, Titan Multimodal and Nova embeddings, Amazon
//! Rerank, Nova Canvas) and checks the shapes AWS documents. Run outside
//! xtask without that variable, the test says why and checks nothing.

use std::path::Path;
use std::process::Command;

use crate::support::LocalServer;

/// The variable xtask sets to the venv's python.
const PYTHON: &str = "BEDROCK_TEST_PYTHON";

#[test]
fn boto3_gets_the_documented_shape_from_every_new_family() {
    let Some(python) = std::env::var_os(PYTHON) else {
        eprintln!("{PYTHON} is not set (cargo xtask test sets it): the boto3 check is skipped");
        return;
    };
    let server = LocalServer::start();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/boto3/check_families.py");
    let output = Command::new(&python)
        .arg(&script)
        .arg(&server.endpoint)
        .env("AWS_ACCESS_KEY_ID", bedrock_emulator::TEST_ACCESS_KEY_ID)
        .env(
            "AWS_SECRET_ACCESS_KEY",
            bedrock_emulator::TEST_SECRET_ACCESS_KEY,
        )
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN")
        .output()
        .expect("the venv's python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for check in [
        "gpt_oss",
        "deepseek_r1",
        "writer_palmyra",
        "cohere_embed",
        "amazon_embed",
        "nova_canvas",
    ] {
        assert!(
            stdout
                .lines()
                .any(|line| line.starts_with(&format!("{check}: "))),
            "{check} did not run:\n{stdout}"
        );
    }
}
