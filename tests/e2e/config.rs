//! The config file's plugin limits take effect through the real binary, with
//! the documented precedence (flag > environment > file > default), and a
//! bad file is a configuration error (exit 6) naming the file and the line.

use std::path::Path;
use std::process::Command;

use crate::support::{Run, bedrock_host_without_plugins, run, test_plugins_dir};

fn config_file(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// `invoke` of a hostile model with the test plugins, after `setup` adds
/// options or environment.
fn invoke_hostile(model: &str, setup: impl FnOnce(&mut Command)) -> Run {
    let mut command = bedrock_host_without_plugins();
    command.arg("--plugins-dir").arg(test_plugins_dir());
    setup(&mut command);
    command.args(["--local", "invoke", "--model", model, "hi"]);
    run(command)
}

fn stopped_at(run: &Run, millis: u64) -> bool {
    run.code == Some(3)
        && run.stderr.contains(&format!(
            "plugin `hostile` stopped in build-request: time limit of {millis} ms exceeded"
        ))
}

#[test]
fn a_config_file_timeout_stops_the_loop_and_flag_and_environment_override_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = config_file(dir.path(), "[plugin-limits]\ntimeout-ms = 150\n");

    let from_flag = invoke_hostile("hostile.loop", |c| {
        c.arg("--config").arg(&file);
    });
    assert!(stopped_at(&from_flag, 150), "{}", from_flag.stderr);

    let from_env = invoke_hostile("hostile.loop", |c| {
        c.env("BEDROCK_HOST_CONFIG", &file);
    });
    assert!(stopped_at(&from_env, 150), "{}", from_env.stderr);

    let flag_wins = invoke_hostile("hostile.loop", |c| {
        c.arg("--config")
            .arg(&file)
            .args(["--plugin-timeout", "200"]);
    });
    assert!(stopped_at(&flag_wins, 200), "{}", flag_wins.stderr);

    let env_wins = invoke_hostile("hostile.loop", |c| {
        c.arg("--config")
            .arg(&file)
            .env("BEDROCK_HOST_PLUGIN_TIMEOUT", "250");
    });
    assert!(stopped_at(&env_wins, 250), "{}", env_wins.stderr);

    let flag_beats_env = invoke_hostile("hostile.loop", |c| {
        c.arg("--config")
            .arg(&file)
            .env("BEDROCK_HOST_PLUGIN_TIMEOUT", "250")
            .args(["--plugin-timeout", "120"]);
    });
    assert!(
        stopped_at(&flag_beats_env, 120),
        "{}",
        flag_beats_env.stderr
    );
}

#[test]
fn the_per_user_config_file_is_read_and_sets_the_memory_limit() {
    let home = tempfile::tempdir().expect("temp dir");
    let folder = home.path().join("bedrock-host");
    std::fs::create_dir_all(&folder).expect("config folder");
    config_file(&folder, "[plugin-limits]\nmemory-mib = 8\n");
    let hoarded = invoke_hostile("hostile.memory", |c| {
        c.env("XDG_CONFIG_HOME", home.path());
    });
    assert_eq!(hoarded.code, Some(3), "{}", hoarded.stderr);
    assert!(
        hoarded.stderr.contains("memory limit of 8 MiB exceeded"),
        "{}",
        hoarded.stderr
    );
    let polite = invoke_hostile("hostile.polite", |c| {
        c.env("XDG_CONFIG_HOME", home.path());
    });
    assert_ne!(
        polite.code,
        Some(3),
        "the limits do not hurt a well-behaved call: {}",
        polite.stderr
    );
}

#[test]
fn a_bad_config_file_is_a_configuration_error_naming_the_file_and_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = [
        (
            "[plugin-limits]\ntimeout-ms = 150\nmemroy-mib = 8\n",
            "line 3: unknown field `memroy-mib`",
        ),
        (
            "[plugin-limits]\ntimeout-ms = 1\n",
            "line 2: [plugin-limits] timeout-ms = 1 is out of range",
        ),
        (
            "[plugin-limits]\nstack-kib = \"big\"\n",
            "line 2: invalid type",
        ),
        ("timeout-ms = 150\n", "line 1: unknown field `timeout-ms`"),
        ("[plugin-limits\n", "line 1:"),
    ];
    for (text, message) in cases {
        let file = config_file(dir.path(), text);
        let mut command = bedrock_host_without_plugins();
        command.arg("--config").arg(&file).args(["plugins", "list"]);
        let failed = run(command);
        assert_eq!(failed.code, Some(6), "{text:?}: {}", failed.stderr);
        let expected = format!("error: invalid config file {}, {message}", file.display());
        assert!(
            failed.stderr.starts_with(&expected),
            "{text:?}: {}",
            failed.stderr
        );
        assert!(failed.stdout.is_empty(), "{}", failed.stdout);
    }

    let mut command = bedrock_host_without_plugins();
    command
        .env("BEDROCK_HOST_CONFIG", dir.path().join("missing.toml"))
        .args(["plugins", "list"]);
    let missing = run(command);
    assert_eq!(missing.code, Some(6), "{}", missing.stderr);
    assert!(
        missing
            .stderr
            .contains("missing.toml does not exist (named by BEDROCK_HOST_CONFIG)"),
        "{}",
        missing.stderr
    );
}

#[test]
fn help_documents_every_key_and_its_default() {
    let mut command = bedrock_host_without_plugins();
    command.arg("--help");
    let help = run(command);
    assert_eq!(help.code, Some(0));
    for needle in [
        "[plugin-limits]",
        "memory-mib",
        "default 64",
        "timeout-ms",
        "default 1000",
        "stack-kib",
        "default 512",
        "output-mib",
        "default 32",
        "max-events",
        "default 10000",
        "log-kib",
        "BEDROCK_HOST_CONFIG",
        "--config <FILE>",
    ] {
        assert!(help.stdout.contains(needle), "{needle}:\n{}", help.stdout);
    }
}
