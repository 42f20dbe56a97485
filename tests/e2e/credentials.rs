//! The ways a Bedrock user gets a client, each end to end against the local
//! Bedrock run as a separate server: a profile in a config file under a
//! fresh HOME, an assumed role through the local STS, a Bedrock API key; and
//! the control plane a user sees: filtered model lists, profile-only models,
//! and ARNs that name no model.

use std::process::Command;

use crate::support::{CLAUDE, LocalServer, Run, bedrock_host, run};

/// The CLI with no credentials of its own, pointed at `server`.
fn bare(server: &LocalServer) -> Command {
    let mut command = bedrock_host();
    command.args(["--endpoint-url", &server.endpoint]);
    command
}

fn invoke_ok(mut command: Command, what: &str) -> Run {
    command.args([
        "invoke",
        "--no-stream",
        "--output",
        "json",
        "--model",
        CLAUDE,
        "hello",
    ]);
    let run = run(command);
    assert_eq!(run.code, Some(0), "{what}: {}", run.stderr);
    assert!(
        !run.json()["text"].as_str().unwrap_or_default().is_empty(),
        "{what}"
    );
    run
}

#[test]
fn a_profile_in_the_users_config_file_is_enough() {
    let server = LocalServer::start();
    let home = tempfile::tempdir().expect("home");
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).expect(".aws");
    std::fs::write(
        aws.join("config"),
        format!(
            "[profile dev]\nregion = us-east-1\naws_access_key_id = {}\naws_secret_access_key = {}\n",
            bedrock_emulator::TEST_ACCESS_KEY_ID,
            bedrock_emulator::TEST_SECRET_ACCESS_KEY
        ),
    )
    .expect("config");
    let with_home = |command: &mut Command| {
        command
            .env("HOME", home.path())
            .env_remove("AWS_CONFIG_FILE")
            .env_remove("AWS_SHARED_CREDENTIALS_FILE");
    };
    let mut by_flag = bare(&server);
    by_flag.arg("--profile").arg("dev");
    with_home(&mut by_flag);
    invoke_ok(by_flag, "--profile dev");

    let mut by_env = bare(&server);
    by_env.env("AWS_PROFILE", "dev");
    with_home(&mut by_env);
    invoke_ok(by_env, "AWS_PROFILE=dev");

    let mut models = bare(&server);
    models.args(["--profile", "dev", "models", "--output", "json"]);
    with_home(&mut models);
    let listed = run(models);
    assert_eq!(listed.code, Some(0), "{}", listed.stderr);
    assert!(
        listed.json()["models"]
            .as_array()
            .is_some_and(|m| m.len() > 10)
    );
}

#[test]
fn an_assumed_role_goes_through_sts_first() {
    let server = LocalServer::start();
    let role = "arn:aws:iam::123456789012:role/BedrockUser";
    let mut by_flag = server.command(&["--assume-role", role]);
    by_flag.arg("-v");
    invoke_ok(by_flag, "--assume-role");
    let mut by_env = server.command(&[]);
    by_env.env("BEDROCK_ASSUME_ROLE", role);
    invoke_ok(by_env, "BEDROCK_ASSUME_ROLE");
}

#[test]
fn a_bedrock_api_key_is_sent_as_bearer_auth() {
    let token = "bedrock-api-key-for-tests";
    let server = LocalServer::start_with_args(&["--bearer-token", token]);
    let mut good = bare(&server);
    good.args(["--region", "us-east-1"])
        .env("AWS_BEARER_TOKEN_BEDROCK", token);
    invoke_ok(good, "API key");

    let mut wrong = bare(&server);
    wrong
        .args([
            "--region",
            "us-east-1",
            "invoke",
            "--no-stream",
            "--model",
            CLAUDE,
            "hello",
        ])
        .env("AWS_BEARER_TOKEN_BEDROCK", "not-the-key");
    let refused = run(wrong);
    assert_eq!(refused.code, Some(6), "{}", refused.stderr);
}

#[test]
fn missing_region_or_credentials_is_one_sentence() {
    let server = LocalServer::start();
    let mut no_region = bare(&server);
    no_region.args(["invoke", "--model", CLAUDE, "hi"]);
    let run_region = run(no_region);
    assert_eq!(run_region.code, Some(6));
    assert!(
        run_region.stderr.contains("no AWS region is set"),
        "{}",
        run_region.stderr
    );

    let mut no_keys = bare(&server);
    no_keys
        .args([
            "--region",
            "us-east-1",
            "--max-attempts",
            "1",
            "invoke",
            "--model",
            CLAUDE,
            "hi",
        ])
        .env("HOME", "/nonexistent");
    let run_keys = run(no_keys);
    assert_eq!(run_keys.code, Some(6));
    assert!(
        run_keys.stderr.contains("no AWS credentials were found"),
        "{}",
        run_keys.stderr
    );
    assert!(
        !run_keys.stderr.contains("Attempted:"),
        "no provider-chain dump: {}",
        run_keys.stderr
    );
}

#[test]
fn models_are_filtered_and_show_how_to_invoke_them() {
    let server = LocalServer::start();
    let list = |args: &[&str]| {
        let mut command = server.command(&["models", "--output", "json"]);
        command.args(args);
        let listed = run(command);
        assert_eq!(listed.code, Some(0), "{args:?}: {}", listed.stderr);
        listed.json()["models"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    };
    let all = list(&[]);
    let meta = list(&["--by-provider", "meta"]);
    assert!(!meta.is_empty() && meta.len() < all.len());
    assert!(meta.iter().all(|m| m["provider"] == "Meta"), "{meta:?}");
    assert!(
        meta.iter().all(|m| m["plugin"] == "meta"),
        "the meta plugin serves them"
    );
    let images = list(&["--by-output-modality", "image"]);
    assert!(
        images
            .iter()
            .all(|m| m["output_modalities"] == serde_json::json!(["IMAGE"])),
        "{images:?}"
    );
    assert!(
        images
            .iter()
            .any(|m| m["model_id"] == "stability.stable-diffusion-xl-v1")
    );

    let profile_only = all
        .iter()
        .find(|m| m["inference_types"] == serde_json::json!(["INFERENCE_PROFILE"]))
        .expect("some model is reachable only through a profile");
    let id = profile_only["model_id"].as_str().expect("id");
    assert_eq!(profile_only["invoke_with"], format!("us.{id}"));

    let mut by_base_id = server.command(&["invoke", "--no-stream", "--model", id, "hi"]);
    by_base_id.env("RUST_BACKTRACE", "0");
    let refused = run(by_base_id);
    if all
        .iter()
        .any(|m| m["model_id"] == id && m["plugin"].is_string())
    {
        assert_eq!(refused.code, Some(4), "{}", refused.stderr);
        assert!(
            refused.stderr.contains("on-demand throughput"),
            "{}",
            refused.stderr
        );
        assert!(
            refused.stderr.contains(&format!("retry with `us.{id}`")),
            "{}",
            refused.stderr
        );
    }
}

#[test]
fn an_application_inference_profile_arn_is_resolved_and_sent_as_given() {
    let server = LocalServer::start();
    let arn = bedrock_emulator::APPLICATION_INFERENCE_PROFILE_ARN;
    let mut command = server.command(&[
        "invoke",
        "--no-stream",
        "--output",
        "json",
        "--model",
        arn,
        "hello",
    ]);
    command.env("RUST_BACKTRACE", "0");
    let resolved = run(command);
    assert_eq!(resolved.code, Some(0), "{}", resolved.stderr);
    assert_eq!(resolved.json()["model_id"], arn);
    assert_eq!(resolved.json()["plugin"], "anthropic");

    let unknown =
        "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/nosuchprofile";
    let failed =
        run(server.command(&["--max-attempts", "1", "invoke", "--model", unknown, "hello"]));
    assert_ne!(failed.code, Some(0));
    assert!(
        failed.stderr.contains("--family"),
        "suggests --family: {}",
        failed.stderr
    );
}

/// A fresh HOME whose `~/.aws/config` holds the profiles `dev` (the local Bedrock's test keys)
/// and `other` (keys it does not know), and `command` set to use it.
fn with_profiles(command: &mut Command) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("home");
    let aws = home.path().join(".aws");
    std::fs::create_dir_all(&aws).expect(".aws");
    std::fs::write(
        aws.join("config"),
        format!(
            "[profile dev]\nregion = us-east-1\naws_access_key_id = {}\naws_secret_access_key = {}\n\n\
             [profile other]\nregion = us-east-1\naws_access_key_id = AKIDOTHER\naws_secret_access_key = other\n",
            bedrock_emulator::TEST_ACCESS_KEY_ID,
            bedrock_emulator::TEST_SECRET_ACCESS_KEY
        ),
    )
    .expect("config");
    command
        .env("HOME", home.path())
        .env_remove("AWS_CONFIG_FILE")
        .env_remove("AWS_SHARED_CREDENTIALS_FILE");
    home
}

#[test]
fn an_explicit_profile_beats_keys_in_the_environment() {
    let server = LocalServer::start();
    let wrong_keys = |command: &mut Command| {
        command
            .env("AWS_ACCESS_KEY_ID", "AKIDNOTKNOWNHERE")
            .env("AWS_SECRET_ACCESS_KEY", "not-the-secret");
    };
    let mut by_flag = bare(&server);
    wrong_keys(&mut by_flag);
    let _home = with_profiles(&mut by_flag);
    by_flag.args(["--profile", "dev", "-v"]);
    let used = invoke_ok(by_flag, "--profile dev over environment keys");
    assert!(
        used.stderr.contains("profile `dev` (named by --profile)"),
        "-v names the source: {}",
        used.stderr
    );

    let mut by_env = bare(&server);
    wrong_keys(&mut by_env);
    let _home = with_profiles(&mut by_env);
    by_env.env("AWS_PROFILE", "dev");
    invoke_ok(by_env, "AWS_PROFILE=dev over environment keys");

    let mut keys_only = bare(&server);
    wrong_keys(&mut keys_only);
    let _home = with_profiles(&mut keys_only);
    keys_only.args(["--region", "us-east-1", "invoke", "--model", CLAUDE, "hi"]);
    let refused = run(keys_only);
    assert_eq!(
        refused.code,
        Some(6),
        "without a profile the environment's keys are used: {}",
        refused.stderr
    );
}

#[test]
fn an_unknown_profile_is_named_with_the_known_ones() {
    let server = LocalServer::start();
    for (flag, env) in [(Some("staging"), None), (None, Some("staging"))] {
        let mut command = bare(&server);
        let _home = with_profiles(&mut command);
        if let Some(name) = flag {
            command.args(["--profile", name]);
        }
        if let Some(name) = env {
            command.env("AWS_PROFILE", name);
        }
        command.args(["invoke", "--model", CLAUDE, "hi"]);
        let refused = run(command);
        assert_eq!(refused.code, Some(6), "{}", refused.stderr);
        let named_by = if flag.is_some() {
            "--profile"
        } else {
            "AWS_PROFILE"
        };
        assert!(
            refused
                .stderr
                .contains(&format!("the profile `staging` (from {named_by})")),
            "{}",
            refused.stderr
        );
        assert!(
            refused.stderr.contains("the known profiles are dev, other"),
            "{}",
            refused.stderr
        );
    }
}

#[test]
fn a_refused_role_names_the_role_and_what_sts_said() {
    let server = LocalServer::start();
    let role = "arn:aws:iam::999999999999:role/NotTrustingYou";
    let mut command = server.command(&["--assume-role", role]);
    command.args(["invoke", "--model", CLAUDE, "hi"]);
    let refused = run(command);
    assert_eq!(refused.code, Some(6), "{}", refused.stderr);
    for needle in [
        "AccessDenied",
        "STS refused to let these credentials assume the role",
        role,
        "trust policy",
    ] {
        assert!(
            refused.stderr.contains(needle),
            "{needle}: {}",
            refused.stderr
        );
    }
    assert!(
        !refused.stderr.contains("no AWS credentials were found"),
        "{}",
        refused.stderr
    );

    let mut good = server.command(&[
        "--assume-role",
        "arn:aws:iam::123456789012:role/BedrockUser",
        "-v",
    ]);
    good.args(["invoke", "--no-stream", "--model", CLAUDE, "hi"]);
    let assumed = run(good);
    assert_eq!(assumed.code, Some(0), "{}", assumed.stderr);
    assert!(
        assumed
            .stderr
            .contains("role arn:aws:iam::123456789012:role/BedrockUser assumed through STS"),
        "-v says where the credentials came from: {}",
        assumed.stderr
    );
}

#[test]
fn quiet_by_default_and_verbose_says_where_requests_go() {
    let server = LocalServer::start();
    let mut quiet = server.command(&["invoke", "--no-stream", "--model", CLAUDE, "hi"]);
    quiet.env_remove("RUST_LOG");
    let answered = run(quiet);
    assert_eq!(answered.code, Some(0), "{}", answered.stderr);
    assert_eq!(answered.stderr, "", "nothing on stderr unless asked");

    let verbose = run(server.command(&["-v", "invoke", "--no-stream", "--model", CLAUDE, "hi"]));
    assert_eq!(verbose.code, Some(0), "{}", verbose.stderr);
    for needle in [
        "us-east-1",
        server.endpoint.as_str(),
        "the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)",
        "anthropic",
    ] {
        assert!(
            verbose.stderr.contains(needle),
            "{needle}: {}",
            verbose.stderr
        );
    }
    assert!(
        !verbose.stderr.contains('\u{1b}'),
        "no colour when stderr is not a terminal: {:?}",
        verbose.stderr
    );
    assert!(
        !verbose.stderr.contains("aws_config") && !verbose.stderr.contains("aws_smithy"),
        "no SDK log at -v: {}",
        verbose.stderr
    );

    let very = run(server.command(&["-vv", "invoke", "--no-stream", "--model", CLAUDE, "hi"]));
    assert_eq!(very.code, Some(0), "{}", very.stderr);
    assert!(
        very.stderr.contains("anthropic_version"),
        "-vv shows the request body: {}",
        very.stderr
    );
}
