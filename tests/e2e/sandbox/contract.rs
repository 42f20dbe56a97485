//! A plugin built against contract 0.2 that breaks the contract's event
//! model on purpose (`misfits/unruly`): each rule is enforced on a real
//! component, the error names the plugin, the call and the rule and quotes
//! nothing the plugin chose, and what obeys the rules passes. Its
//! capabilities claim no system prompt and no tools: the host's check
//! refuses both before the plugin is called.

use bedrock_host::plugin::{
    CompileCache, LoadedPlugin, PluginError, PluginRuntime, Subject, Tool, Unsupported,
};

use super::{limits, misfit, request};

async fn unruly(runtime: &PluginRuntime) -> LoadedPlugin {
    runtime.load(&misfit("unruly")).await.expect("unruly loads")
}

/// The error a stream of `rule` ends with.
async fn stream_error(plugin: &LoadedPlugin, rule: &str) -> PluginError {
    let model = format!("unruly.{rule}");
    let mut sandbox = plugin.sandbox().await.expect("sandbox");
    sandbox.start_stream(&model).await.expect("decoder");
    match sandbox.feed(b"{}").await {
        Err(error) => error,
        Ok(_) => sandbox
            .finish()
            .await
            .expect_err(&format!("{rule} breaks the event model")),
    }
}

#[tokio::test]
async fn every_rule_of_the_event_model_is_enforced_on_a_real_component() {
    let runtime = PluginRuntime::new(limits(), CompileCache::disabled()).expect("engine");
    let plugin = unruly(&runtime).await;
    assert_eq!(
        plugin.contract_version(),
        "0.2.0",
        "a 0.2.0 component, served by a 0.2.1 host"
    );
    let cases = [
        (
            "text-after-stop",
            "feed",
            "event 3 of the call is content after the stop event",
        ),
        (
            "two-stops",
            "feed",
            "event 2 of the call is a second stop event",
        ),
        (
            "open-call",
            "finish",
            "ended the stream with a tool call still open",
        ),
        (
            "nested-calls",
            "feed",
            "starts a tool call while another is open",
        ),
        (
            "text-in-call",
            "feed",
            "is other content while a tool call is open",
        ),
        (
            "input-not-object",
            "feed",
            "input is JSON but not an object",
        ),
        ("input-not-json", "feed", "input is not JSON text"),
        ("same-id", "feed", "repeats the id of an earlier tool call"),
        ("nameless", "feed", "a tool call with an empty id or name"),
        (
            "stray-input",
            "feed",
            "tool-call input with no tool call open",
        ),
    ];
    for (rule, call, says) in cases {
        let error = stream_error(&plugin, rule).await;
        let text = error.to_string();
        assert!(
            matches!(&error, PluginError::Contract { call: c, .. } if c.ends_with(call)),
            "{rule}: {text}"
        );
        assert!(
            text.starts_with("plugin `unruly` broke the contract in stream-decoder."),
            "{rule}: {text}"
        );
        assert!(text.contains(says), "{rule}: {text}");
        assert!(!text.contains("weather"), "quotes nothing it chose: {text}");
    }

    let mut sandbox = plugin.sandbox().await.expect("sandbox");
    sandbox
        .start_stream("unruly.polite")
        .await
        .expect("decoder");
    let events = sandbox
        .feed(b"{}")
        .await
        .expect("a well-formed stream passes");
    assert_eq!(events.len(), 6);
    sandbox.finish().await.expect("nothing is left open");
}

#[tokio::test]
async fn a_complete_answer_breaking_the_rules_is_refused() {
    let runtime = PluginRuntime::new(limits(), CompileCache::disabled()).expect("engine");
    let plugin = unruly(&runtime).await;
    for (rule, says) in [
        ("same-id", "output 2 repeats the id of an earlier tool call"),
        (
            "input-not-object",
            "output 1 is a tool call whose input is JSON but not an object",
        ),
        (
            "nameless",
            "output 1 is a tool call with an empty id or name",
        ),
    ] {
        let mut sandbox = plugin.sandbox().await.expect("sandbox");
        let error = sandbox
            .parse_response(&format!("unruly.{rule}"), b"{}")
            .await
            .expect_err(rule);
        assert!(
            error.to_string().contains(says) && error.to_string().contains("parse-response"),
            "{rule}: {error}"
        );
    }
    let mut sandbox = plugin.sandbox().await.expect("sandbox");
    let answer = sandbox
        .parse_response("unruly.polite", b"{}")
        .await
        .expect("a well-formed answer passes");
    assert_eq!(answer.outputs.len(), 2);
}

#[tokio::test]
async fn what_its_capabilities_exclude_is_refused_before_it_is_called() {
    let runtime = PluginRuntime::new(limits(), CompileCache::disabled()).expect("engine");
    let plugin = unruly(&runtime).await;
    let capabilities = plugin.capabilities("unruly.polite").expect("claims the id");
    let subject = Subject {
        model: "unruly.polite",
        plugin: plugin.name(),
        capabilities,
    };
    let mut with_system = request("unruly.polite");
    with_system.system = Some("be terse".into());
    let mut with_tools = request("unruly.polite");
    with_tools.tools.push(Tool {
        name: "weather".into(),
        description: "the weather".into(),
        input_schema: "{\"type\":\"object\"}".into(),
    });
    for (spoiled, feature) in [(with_system, "a system prompt"), (with_tools, "tools")] {
        assert_eq!(
            subject.check_request(&spoiled),
            Err(Unsupported::Feature {
                model: "unruly.polite".into(),
                plugin: "unruly".into(),
                feature,
            })
        );
    }
    let plain = request("unruly.polite");
    assert_eq!(subject.check_request(&plain), Ok(()));
    let mut sandbox = plugin.sandbox().await.expect("sandbox");
    let body = sandbox.build_request(&plain).await.expect("body");
    assert_eq!(body.bytes, b"{\"given\":[]}");
}
