//! The notebook tour (`examples/notebook-tour.sh`) runs end to end against
//! the local Bedrock: every cell of the AWS notebook as a `bedrock-host`
//! command, with the real plugins.

use std::path::PathBuf;
use std::process::Command;

use crate::support::{Run, plugins_dir};

#[test]
fn every_notebook_cell_runs_as_a_command() {
    let out = tempfile::tempdir().expect("temp dir");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/notebook-tour.sh");
    let host = format!(
        "{} --plugins-dir {}",
        env!("CARGO_BIN_EXE_bedrock-host"),
        plugins_dir().display()
    );
    let mut command = Command::new("bash");
    command
        .arg(&script)
        .env("BEDROCK_HOST", host)
        .env("OUT_DIR", out.path());
    let run: Run = command.output().expect("bash runs the tour").into();
    assert_eq!(
        run.code,
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        run.stdout,
        run.stderr
    );

    let cells: Vec<&str> = run.stdout.split("\n=== ").skip(1).collect();
    assert_eq!(cells.len(), 11, "{}", run.stdout);
    for cell in &cells {
        let (title, output) = cell.split_once('\n').expect("a title line");
        let answer = output.lines().skip(1).collect::<Vec<_>>().join("\n");
        if !title.starts_with("Stability") {
            assert!(
                answer.split_whitespace().count() > 5,
                "{title} answered:\n{answer}"
            );
        }
    }
    assert!(
        cells[0].contains("anthropic.claude-3-5-sonnet-20240620-v1:0"),
        "the model list: {}",
        cells[0]
    );

    let image =
        std::fs::read(out.path().join("landscape.png")).expect("the SDXL cell writes its image");
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        run.stderr.contains("landscape.png"),
        "says where it wrote the image: {}",
        run.stderr
    );

    let streamed = cells
        .iter()
        .find(|cell| cell.starts_with("Streaming Nova Lite"))
        .and_then(|cell| cell.lines().nth(2))
        .expect("the streaming cell prints one JSON line");
    let report: serde_json::Value = serde_json::from_str(streamed).expect("JSON");
    assert!(report["chunks"].as_u64().expect("chunks") > 1);
    assert!(
        report["time_to_first_token_ms"]
            .as_f64()
            .expect("time to first token")
            > 0.0
    );
}
