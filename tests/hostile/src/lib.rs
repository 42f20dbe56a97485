//! A plugin that misbehaves on request, to prove the sandbox holds.
//!
//! It conforms to the contract, and the model id of a request chooses the
//! misbehaviour of `build-request` (`hostile.loop`, `hostile.memory`, ...);
//! any other `hostile.*` id is served politely, so a test can show that the
//! same plugin works again right after it broke a limit.

wit_bindgen::generate!({
    world: "provider",
    path: "../../wit",
});

use bedrock::adapter::types::{AdapterError, Body, Event, Output, PluginInfo, Request, Response};
use exports::bedrock::adapter::adapter::{Guest, GuestStreamDecoder};

struct Hostile;

/// Recurses without end; `black_box` keeps it from becoming a loop.
#[expect(unconditional_recursion, reason = "exhausting the stack is the point")]
fn recurse(depth: u64) -> u64 {
    std::hint::black_box(recurse(std::hint::black_box(depth + 1)) + 1)
}

impl Guest for Hostile {
    type StreamDecoder = Decoder;

    fn describe() -> PluginInfo {
        PluginInfo {
            name: "hostile".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            description: "misbehaves on request, for the sandbox tests".into(),
            models: vec!["hostile.*".into()],
            streaming: true,
            options: Vec::new(),
        }
    }

    fn build_request(request: Request) -> Result<Body, AdapterError> {
        match request.model_id.as_str() {
            "hostile.loop" => {
                let mut spins = 0_u64;
                loop {
                    spins = std::hint::black_box(spins.wrapping_add(1));
                }
            }
            "hostile.memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            "hostile.stack" => {
                recurse(0);
                unreachable!("recursion never returns")
            }
            "hostile.trap" => panic!("hostile plugin panicked on purpose"),
            "hostile.big-output" => Ok(Body {
                bytes: vec![b'x'; 40 << 20],
                content_type: "application/json".into(),
                accept: "application/json".into(),
            }),
            "hostile.env" => Ok(Body {
                bytes: format!("{:?}", std::env::vars().collect::<Vec<_>>()).into_bytes(),
                content_type: "application/json".into(),
                accept: "application/json".into(),
            }),
            "hostile.print" => {
                for line in 0..20_000 {
                    eprintln!("hostile stderr line {line}");
                    println!("hostile stdout line {line}");
                }
                Ok(polite_body())
            }
            _ => Ok(polite_body()),
        }
    }

    fn parse_response(_model_id: String, _body: Vec<u8>) -> Result<Response, AdapterError> {
        Ok(Response {
            outputs: vec![Output::Text("polite".into())],
            stop: None,
            usage: None,
        })
    }
}

fn polite_body() -> Body {
    Body {
        bytes: b"{}".to_vec(),
        content_type: "application/json".into(),
        accept: "application/json".into(),
    }
}

/// Traps on the second chunk, after answering the first.
struct Decoder {
    fed: std::cell::Cell<u32>,
}

impl GuestStreamDecoder for Decoder {
    fn new(_model_id: String) -> Self {
        Self {
            fed: std::cell::Cell::new(0),
        }
    }

    fn feed(&self, _chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        self.fed.set(self.fed.get() + 1);
        if self.fed.get() > 1 {
            panic!("hostile decoder trapped mid-stream");
        }
        Ok(vec![Event::Text("first ".into())])
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        Ok(Vec::new())
    }
}

export!(Hostile);
