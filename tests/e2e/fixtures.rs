//! Recorded Bedrock traffic through the real plugins. Every 200 response and
//! stream in the shared fixtures (`tests/fixtures/bedrock`, read by
//! `bedrock-recorded`) whose model id routes to an installed plugin is run
//! through that plugin's `.wasm`, fed as the host feeds it (the body as
//! recorded; for a stream, each frame's base64 `bytes` decoded), and what
//! the plugin made of it is compared with the answer its family's
//! expectation works out from the raw recorded JSON. That expectation is
//! written once, beside the plugin (`plugins/<family>/tests/recorded/
//! expected.rs`), and the plugin's native test checks the adapter against
//! the same one.
//!
//! Invariant: nothing that routes to a plugin goes unchecked. An exchange
//! whose plugin has no family in `bedrock_recorded::FAMILIES` fails the
//! test, and each family states how many exchanges of each kind it checks,
//! so the test cannot pass by finding nothing. Exchanges no installed
//! plugin serves are skipped, listed and counted.

use bedrock_host::model_id::ModelId;
use bedrock_host::plugin::{
    CompileCache, Event, LoadedPlugin, Output, PluginRegistry, PluginRuntime, PluginSources,
    Response, RouteError, SandboxLimits, Stop, StopReason, Usage,
};
use bedrock_recorded::{Answer, Counts, Ending, Exchange, FAMILIES, Family, Kind, Tally};

use crate::support::plugins_dir;

async fn registry() -> PluginRegistry {
    let runtime =
        PluginRuntime::new(SandboxLimits::default(), CompileCache::disabled()).expect("engine");
    let registry = PluginRegistry::load(&PluginSources::only(vec![plugins_dir()]), &runtime).await;
    assert!(
        registry.failures().is_empty(),
        "plugins failed to load: {:?}",
        registry.failures()
    );
    registry
}

/// The plugin, base model id and family to check an exchange with; `None`
/// when it is skipped (no installed plugin serves it, or its id names no
/// model by itself) or has failed already (ambiguous, or no family).
fn route<'r, T>(
    tally: &mut Tally,
    registry: &'r PluginRegistry,
    exchange: &Exchange<T>,
) -> Option<(&'r LoadedPlugin, String, &'static Family)> {
    let skipped = || format!("{} ({})", exchange.origin, exchange.model_id);
    let Ok(id) = ModelId::parse(&exchange.model_id) else {
        tally.skip(skipped());
        return None;
    };
    let plugin = match registry.route(id.base()) {
        Ok(plugin) => plugin,
        Err(RouteError::NoMatch { .. }) => {
            tally.skip(skipped());
            return None;
        }
        Err(ambiguous) => {
            tally.fail(format!("{}: {ambiguous}", exchange.origin));
            return None;
        }
    };
    let Some(family) = bedrock_recorded::family(plugin.name()) else {
        tally.fail(format!(
            "{}: routes to plugin `{}`, which has no family in bedrock_recorded::FAMILIES: \
             write its plugins/{}/tests/recorded/expected.rs",
            exchange.origin,
            plugin.name(),
            plugin.name()
        ));
        return None;
    };
    Some((plugin, id.base().to_owned(), family))
}

async fn parse_body(plugin: &LoadedPlugin, model: &str, body: &[u8]) -> Result<Answer, String> {
    let mut sandbox = plugin.sandbox().await.map_err(|e| e.to_string())?;
    let response = sandbox
        .parse_response(model, body)
        .await
        .map_err(|e| e.to_string())?;
    Ok(answer_of_response(response))
}

async fn decode_stream(
    plugin: &LoadedPlugin,
    model: &str,
    chunks: &[Vec<u8>],
) -> Result<Answer, String> {
    let mut sandbox = plugin.sandbox().await.map_err(|e| e.to_string())?;
    sandbox
        .start_stream(model)
        .await
        .map_err(|e| e.to_string())?;
    let mut events = Vec::new();
    for (index, chunk) in chunks.iter().enumerate() {
        events.extend(
            sandbox
                .feed(chunk)
                .await
                .map_err(|e| format!("chunk {index}: {e}"))?,
        );
    }
    events.extend(sandbox.finish().await.map_err(|e| e.to_string())?);
    answer_of_events(events)
}

/// A parsed response in the comparable shape.
fn answer_of_response(response: Response) -> Answer {
    let mut answer = Answer::default();
    for output in response.outputs {
        match output {
            Output::Text(text) => answer.text.push_str(&text),
            Output::Image(_) => answer.images += 1,
            // The recorded answers compared here are text, images, stops and
            // usage; tool calls and reasoning are compared by `tools.rs` and
            // `reasoning.rs`, through the CLI.
            Output::ToolCall(_) | Output::Reasoning(_) | Output::RedactedReasoning(_) => {}
        }
    }
    answer.stop = response.stop.map(ending);
    answer.usage = response.usage.map(counts);
    answer
}

/// The answer a stream's events add up to; a stream ends once, so a
/// second stop or usage event is an error.
fn answer_of_events(events: Vec<Event>) -> Result<Answer, String> {
    let mut answer = Answer::default();
    for event in events {
        match event {
            Event::Text(text) => answer.text.push_str(&text),
            Event::Stop(stop) => answer.end(ending(stop))?,
            Event::Usage(usage) => answer.count(counts(usage))?,
            // As for a complete answer, above.
            Event::Reasoning(_)
            | Event::ReasoningSignature(_)
            | Event::RedactedReasoning(_)
            | Event::ToolCallStart(_)
            | Event::ToolCallInput(_)
            | Event::ToolCallEnd => {}
        }
    }
    Ok(answer)
}

fn ending(stop: Stop) -> Ending {
    use bedrock_recorded::StopReason as Reason;
    let reason = match stop.reason {
        StopReason::EndTurn => Reason::EndTurn,
        StopReason::MaxTokens => Reason::MaxTokens,
        StopReason::StopSequence => Reason::StopSequence,
        StopReason::ToolUse => Reason::ToolUse,
        StopReason::ContentFiltered => Reason::ContentFiltered,
        StopReason::Other => Reason::Other,
    };
    Ending {
        reason,
        raw: stop.raw,
    }
}

fn counts(usage: Usage) -> Counts {
    Counts {
        input: usage.input_tokens,
        output: usage.output_tokens,
    }
}

#[tokio::test]
async fn every_recorded_response_parses_as_its_body_says() {
    let registry = registry().await;
    let mut tally = Tally::default();
    for exchange in bedrock_recorded::bodies() {
        let Some((plugin, model, family)) = route(&mut tally, &registry, &exchange) else {
            continue;
        };
        let expected = family.expected_body(&exchange);
        let actual = parse_body(plugin, &model, &exchange.recorded).await;
        tally.compare(plugin.name(), &exchange.origin, actual, expected);
    }
    tally.assert_all_good(Kind::Bodies, FAMILIES);
}

#[tokio::test]
async fn every_recorded_stream_decodes_as_its_chunks_say() {
    let registry = registry().await;
    let mut tally = Tally::default();
    let found = bedrock_recorded::streams();
    for source in found.undecodable {
        tally.skip(format!("{source} (undecodable)"));
    }
    for exchange in found.streams {
        let Some((plugin, model, family)) = route(&mut tally, &registry, &exchange) else {
            continue;
        };
        let expected = family.expected_stream(&exchange);
        let actual = decode_stream(plugin, &model, &exchange.recorded).await;
        tally.compare(plugin.name(), &exchange.origin, actual, expected);
    }
    tally.assert_all_good(Kind::Streams, FAMILIES);
}
