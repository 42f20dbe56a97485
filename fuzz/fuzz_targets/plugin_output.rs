//! Whatever a plugin can return, through the host's checks of it: the
//! `describe` validation, the output-size measure and limit, the folding of
//! streamed events into the report the CLI prints, the adapter's refusals
//! as the error line the user reads, and the writing of returned images.
//!
//! Checked beyond "no panic":
//! - `validate_info` accepts only names and model patterns that print as
//!   they are, on one line (no control characters);
//! - a size over the limit is refused, at or under it is not;
//! - the report's text is exactly the non-empty text events in order, each
//!   handed to the printer once; the last stop and usage win;
//! - an adapter's refusal is shown as one line without control characters;
//! - images land in the chosen folder only, byte for byte, under an
//!   extension from the host's fixed list, and are described printably.
#![no_main]

use std::path::Path;
use std::time::Instant;

use arbitrary::Arbitrary;
use bedrock_host::cli::images::write_images;
use bedrock_host::invocation::{InvocationReport, Shown, StreamFold};
use bedrock_host::plugin::{
    AdapterRefusal, Body, Event, Image, Output, PluginError, PluginInfo, Response, Stop,
    StopReason, Usage, body_size, check_output_size, describe_size, events_size, response_size,
    validate_info,
};

#[derive(Debug, Arbitrary)]
struct FuzzInfo {
    name: String,
    version: String,
    description: String,
    models: Vec<String>,
    streaming: bool,
    options: Vec<String>,
}

#[derive(Debug, Arbitrary)]
enum FuzzEvent {
    Text(String),
    Stop(u8, Option<String>),
    Usage(u32, u32),
}

#[derive(Debug, Arbitrary)]
struct FuzzImage {
    media_type: String,
    data: Vec<u8>,
}

#[derive(Debug, Arbitrary)]
struct Input {
    info: FuzzInfo,
    body: (Vec<u8>, String, String),
    texts: Vec<String>,
    images: Vec<FuzzImage>,
    events: Vec<FuzzEvent>,
    refusal: (u8, String),
    max_output: usize,
    out_name: Option<String>,
}

const REASONS: [StopReason; 6] = [
    StopReason::EndTurn,
    StopReason::MaxTokens,
    StopReason::StopSequence,
    StopReason::ToolUse,
    StopReason::ContentFiltered,
    StopReason::Other,
];

/// Printed on one terminal line as it is.
fn printable(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

fn check_describe(info: &PluginInfo) {
    if validate_info(info).is_ok() {
        assert!(!info.name.is_empty() && printable(&info.name), "{info:?}");
        assert!(!info.models.is_empty());
        for pattern in &info.models {
            assert!(
                !pattern.is_empty() && printable(pattern),
                "pattern {pattern:?}"
            );
        }
    }
}

fn check_limit(call: &'static str, size: usize, max: usize) {
    match check_output_size("fuzz", call, size, max) {
        Ok(()) => assert!(size <= max),
        Err(error) => {
            assert!(size > max);
            let line = error.to_string();
            assert!(line.contains("`fuzz`") && line.contains(call), "{line}");
        }
    }
}

fn check_events(events: Vec<Event>) {
    let expected: Vec<String> = events
        .iter()
        .filter_map(|event| match event {
            Event::Text(text) if !text.is_empty() => Some(text.clone()),
            _ => None,
        })
        .collect();
    let last_stop = events.iter().rev().find_map(|event| match event {
        Event::Stop(stop) => Some((stop.reason, stop.raw.clone())),
        _ => None,
    });
    let last_usage = events.iter().rev().find_map(|event| match event {
        Event::Usage(usage) => Some((usage.input_tokens, usage.output_tokens)),
        _ => None,
    });
    let mut report = InvocationReport::default();
    let mut printed = Vec::new();
    let mut print = |shown: Shown<'_>| -> std::io::Result<()> {
        if let Shown::Text(text) = shown {
            printed.push(text.to_owned());
        }
        Ok(())
    };
    StreamFold::default()
        .apply(&mut report, events, Instant::now(), &mut print)
        .expect("printing cannot fail here");
    assert_eq!(printed, expected);
    assert_eq!(report.text, expected.concat());
    assert_eq!(report.time_to_first_token.is_some(), !expected.is_empty());
    let stop = report
        .stop
        .as_ref()
        .map(|stop| (stop.reason, stop.raw.clone()));
    assert_eq!(stop, last_stop);
    assert_eq!(report.input_tokens, last_usage.map(|(input, _)| input));
    assert_eq!(report.output_tokens, last_usage.map(|(_, output)| output));
}

fn check_refusal(kind: u8, message: String) {
    let error = match kind % 3 {
        0 => AdapterRefusal::InvalidRequest(message),
        1 => AdapterRefusal::Unsupported(message),
        _ => AdapterRefusal::MalformedResponse(message),
    };
    let line = PluginError::Adapter {
        plugin: "fuzz".into(),
        call: "build-request",
        error,
    }
    .to_string();
    assert!(printable(&line), "not one printable line: {line:?}");
}

fn check_images(images: &[Image], out_name: Option<&str>) {
    let folder = tempfile::tempdir().expect("a temporary folder");
    // A name the user chose, kept to one component of the folder.
    let out = out_name
        .filter(|name| {
            !name.is_empty() && Path::new(name).file_name() == Some(std::ffi::OsStr::new(name))
        })
        .map(|name| folder.path().join(name));
    // Images without a chosen name go to the current folder; libFuzzer
    // writes its corpus relative to it, so it is restored afterwards.
    let home = std::env::current_dir().expect("the current folder");
    std::env::set_current_dir(folder.path()).expect("enter the temporary folder");
    let written = write_images(images, out.as_deref(), "fuzz-model");
    std::env::set_current_dir(home).expect("return to the current folder");
    let Ok(written) = written else {
        return;
    };
    assert_eq!(written.len(), images.len());
    for (index, (image, file)) in images.iter().zip(&written).enumerate() {
        let path = if file.path.is_absolute() {
            file.path.clone()
        } else {
            folder.path().join(&file.path)
        };
        assert_eq!(path.parent(), Some(folder.path()), "{path:?} escaped");
        assert_eq!(std::fs::read(&path).expect("written"), image.data);
        assert!(printable(&file.media_type), "{:?}", file.media_type);
        if out.is_none() || index > 0 {
            let extension = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default();
            if out.is_none() {
                assert!(
                    ["png", "jpg", "webp", "gif", "bin"].contains(&extension),
                    "{path:?}"
                );
            }
        }
    }
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    let info = PluginInfo {
        name: input.info.name,
        version: input.info.version,
        description: input.info.description,
        models: input.info.models,
        streaming: input.info.streaming,
        options: input.info.options,
    };
    check_describe(&info);
    check_limit("describe", describe_size(&info), input.max_output);

    let (bytes, content_type, accept) = input.body;
    let body = Body {
        bytes,
        content_type,
        accept,
    };
    check_limit("build-request", body_size(&body), input.max_output);

    let images: Vec<Image> = input
        .images
        .into_iter()
        .take(4)
        .map(|image| Image {
            media_type: image.media_type,
            data: image.data,
        })
        .collect();
    let response = Response {
        outputs: input
            .texts
            .into_iter()
            .map(Output::Text)
            .chain(images.iter().cloned().map(Output::Image))
            .collect(),
        stop: None,
        usage: None,
    };
    check_limit("parse-response", response_size(&response), input.max_output);

    let events: Vec<Event> = input
        .events
        .into_iter()
        .map(|event| match event {
            FuzzEvent::Text(text) => Event::Text(text),
            FuzzEvent::Stop(reason, raw) => Event::Stop(Stop {
                reason: REASONS[usize::from(reason) % REASONS.len()],
                raw,
            }),
            FuzzEvent::Usage(input_tokens, output_tokens) => Event::Usage(Usage {
                input_tokens,
                output_tokens,
                cache_read_tokens: None,
                cache_write_tokens: None,
            }),
        })
        .collect();
    check_limit(
        "stream-decoder.feed",
        events_size(&events),
        input.max_output,
    );
    check_events(events);

    check_refusal(input.refusal.0, input.refusal.1);
    check_images(&images, input.out_name.as_deref());
});
