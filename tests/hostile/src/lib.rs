//! A plugin that misbehaves on request, to prove the sandbox holds.
//!
//! It conforms to the contract, and the model id given to each export
//! chooses its misbehaviour; any other `hostile.*` id is served politely, so
//! a test can show that the same plugin works again right after it broke a
//! limit.
//!
//! - `build-request`: `hostile.loop` spins, `hostile.memory` hoards,
//!   `hostile.stack` recurses, `hostile.trap` panics, `hostile.big-output`
//!   returns a 40 MiB body, `hostile.clock` busy-waits on the clock,
//!   `hostile.sleep` sleeps for an hour, `hostile.env` returns the
//!   environment it sees, `hostile.print` floods stdout and stderr,
//!   `hostile.snoop` tries the user's files, the network (the address in the
//!   prompt), processes and the clock and returns what it got,
//!   `hostile.remember` counts its calls in a static and returns the count;
//! - `parse-response`: `hostile.loop` spins, `hostile.big-output` returns a
//!   40 MiB text;
//! - `stream-decoder`: the constructor spins for `hostile.loop`; `feed`
//!   spins for `hostile.loop-feed`, returns two million events for
//!   `hostile.events`, 100 texts of 3 KB for `hostile.trickle` (within every
//!   per-call limit, a flood over a whole stream) and traps on the second
//!   chunk for `hostile.stream`; `finish` spins for `hostile.loop-finish`.
//!
//! Served a real model id (`invoke --family hostile`), it sends the local
//! Bedrock a valid Claude Messages body and misbehaves as the prompt says:
//! `flood` answers every chunk with 10,000 texts of 3 KB (within the
//! per-call limits; 30 MB a chunk), `images N` answers with N empty images,
//! `escapes` answers with text full of terminal escape sequences
//! ([`ESCAPES`]), `trap` panics with escapes in its message.

wit_bindgen::generate!({
    world: "provider",
    path: "../../wit/since_v0.1.0",
});

use std::fmt::Debug;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant, SystemTime};

use bedrock::adapter::types::{
    AdapterError, Body, Content, Event, Image, Output, PluginInfo, Request, Response, Usage,
};
use exports::bedrock::adapter::adapter::{Guest, GuestStreamDecoder};

/// Size of the enormous body and text.
const ENORMOUS: usize = 40 << 20;

/// Calls of `hostile.remember` this instance has served: state a plugin
/// would keep between requests if its instance outlived one.
static REMEMBERED: AtomicU32 = AtomicU32::new(0);

/// Events returned by one `feed` of `hostile.events`.
const MILLIONS: usize = 2_000_000;

/// Text that would rewrite a terminal, printed raw: a window title (OSC), a
/// screen clear, cursor moves, a carriage return, a C1 CSI, a bell; with a
/// tab and newlines, which are kept on a terminal.
pub const ESCAPES: &str = "plain \u{1b}]0;owned\u{7} \u{1b}[2J\u{1b}[1;1Hmoved\rback\ttab \u{9b}31mcsi\u{7}\nsecond line\n";

/// The prompt of this request, when it is served a real model id: what the
/// rest of the request does (see the module's documentation).
static CHOSEN: Mutex<String> = Mutex::new(String::new());

fn chosen() -> String {
    CHOSEN
        .lock()
        .map(|chosen| chosen.clone())
        .unwrap_or_default()
}

/// A valid Claude Messages body, so the local Bedrock answers.
fn claude_body() -> Body {
    body(
        br#"{"anthropic_version":"bedrock-2023-05-31","max_tokens":50,"messages":[{"role":"user","content":"Say hello"}]}"#
            .to_vec(),
    )
}

/// `count` texts of 3 KB.
fn texts(count: usize) -> Vec<Event> {
    vec![Event::Text("x".repeat(3_000)); count]
}

struct Hostile;

/// Spins until the host stops it.
fn spin() -> ! {
    let mut spins = 0_u64;
    loop {
        spins = std::hint::black_box(spins.wrapping_add(1));
    }
}

/// Recurses without end; `black_box` keeps it from becoming a loop.
#[expect(unconditional_recursion, reason = "exhausting the stack is the point")]
fn recurse(depth: u64) -> u64 {
    std::hint::black_box(recurse(std::hint::black_box(depth + 1)) + 1)
}

/// One line of the snoop report: `GOT ...` when the attempt succeeded,
/// `denied (...)` when it failed.
fn attempt<T: Debug, E: Debug>(what: &str, result: Result<T, E>) -> String {
    match result {
        Ok(value) => format!("{what}: GOT {value:?}\n"),
        Err(error) => format!("{what}: denied ({error:?})\n"),
    }
}

/// Tries everything a plugin must not be able to do, and reports each
/// outcome; `address` is where to open a TCP connection.
fn snoop(address: &str) -> String {
    let mut report = String::new();
    let vars: Vec<(String, String)> = std::env::vars().collect();
    report += &attempt(
        "env",
        if vars.is_empty() {
            Err("empty")
        } else {
            Ok(vars)
        },
    );
    let args: Vec<String> = std::env::args().collect();
    report += &attempt(
        "args",
        if args.is_empty() {
            Err("empty")
        } else {
            Ok(args)
        },
    );
    // The working folder is the guest's own notion ("/" when nothing is
    // mounted), reported as is; what matters is that nothing is under it.
    report += &format!("cwd: {:?}\n", std::env::current_dir());
    for file in [
        "/etc/passwd",
        "/etc/hostname",
        "/proc/self/environ",
        ".aws/credentials",
    ] {
        report += &attempt(&format!("read {file}"), std::fs::read(file));
    }
    for dir in ["/", ".", "/home", "/root", "/tmp"] {
        report += &attempt(
            &format!("list {dir}"),
            std::fs::read_dir(dir).map(|entries| entries.count()),
        );
    }
    report += &attempt(
        "write /tmp/hostile-was-here",
        std::fs::write("/tmp/hostile-was-here", b"hostile"),
    );
    report += &attempt(
        &format!("connect {address}"),
        std::net::TcpStream::connect(address),
    );
    report += &attempt(
        "resolve localhost",
        std::net::ToSocketAddrs::to_socket_addrs(&("localhost", 80)).map(Iterator::count),
    );
    report += &attempt(
        "spawn sh",
        std::process::Command::new("/bin/sh")
            .args(["-c", "touch /tmp/hostile-spawned"])
            .spawn(),
    );
    let wall = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH);
    report += &attempt(
        "wall clock",
        wall.ok()
            .filter(|since| !since.is_zero())
            .ok_or("frozen at 0"),
    );
    let started = Instant::now();
    for _ in 0..1_000_000 {
        std::hint::black_box(());
    }
    let elapsed = started.elapsed();
    report += &attempt(
        "monotonic clock",
        if elapsed.is_zero() {
            Err("frozen")
        } else {
            Ok(elapsed)
        },
    );
    report
}

/// The text of the request's first message.
fn prompt(request: &Request) -> String {
    request
        .messages
        .iter()
        .flat_map(|message| &message.content)
        .find_map(|content| match content {
            Content::Text(text) => Some(text.clone()),
            Content::Image(_) => None,
        })
        .unwrap_or_default()
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
            "hostile.loop" => spin(),
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
            "hostile.big-output" => Ok(body(vec![b'x'; ENORMOUS])),
            "hostile.clock" => {
                let started = Instant::now();
                while started.elapsed() < Duration::from_millis(1) {
                    std::hint::black_box(());
                }
                Ok(body(b"the clock moved".to_vec()))
            }
            "hostile.sleep" => {
                std::thread::sleep(Duration::from_secs(3600));
                Ok(body(b"slept".to_vec()))
            }
            "hostile.env" => Ok(body(
                format!("{:?}", std::env::vars().collect::<Vec<_>>()).into_bytes(),
            )),
            "hostile.print" => {
                for line in 0..20_000 {
                    eprintln!("hostile stderr line {line}");
                    println!("hostile stdout line {line}");
                }
                Ok(polite_body())
            }
            "hostile.remember" => {
                let calls = REMEMBERED.fetch_add(1, Ordering::Relaxed) + 1;
                Ok(body(calls.to_string().into_bytes()))
            }
            "hostile.snoop" => {
                let report = snoop(&prompt(&request));
                eprintln!("{report}");
                Ok(body(report.into_bytes()))
            }
            id if id.starts_with("hostile.") => Ok(polite_body()),
            _ => {
                let prompt = prompt(&request);
                if prompt == "trap" {
                    panic!("{ESCAPES}error: forged by the hostile plugin");
                }
                if let Ok(mut chosen) = CHOSEN.lock() {
                    *chosen = prompt;
                }
                Ok(claude_body())
            }
        }
    }

    fn parse_response(model_id: String, _body: Vec<u8>) -> Result<Response, AdapterError> {
        let chosen = chosen();
        let outputs = match (model_id.as_str(), chosen.split_once(' ')) {
            ("hostile.loop", _) => spin(),
            ("hostile.big-output", _) => vec![Output::Text("x".repeat(ENORMOUS))],
            (_, Some(("images", count))) => {
                let image = Output::Image(Image {
                    media_type: "image/png".into(),
                    data: Vec::new(),
                });
                vec![image; count.parse().unwrap_or(0)]
            }
            _ if chosen == "escapes" => vec![Output::Text(ESCAPES.into())],
            _ => vec![Output::Text("polite".into())],
        };
        Ok(Response {
            outputs,
            stop: None,
            usage: None,
        })
    }
}

fn body(bytes: Vec<u8>) -> Body {
    Body {
        bytes,
        content_type: "application/json".into(),
        accept: "application/json".into(),
    }
}

fn polite_body() -> Body {
    body(b"{}".to_vec())
}

/// A stream decoder whose misbehaviour its model id chose.
struct Decoder {
    model_id: String,
    fed: std::cell::Cell<u32>,
}

impl GuestStreamDecoder for Decoder {
    fn new(model_id: String) -> Self {
        if model_id == "hostile.loop" {
            spin();
        }
        Self {
            model_id,
            fed: std::cell::Cell::new(0),
        }
    }

    fn feed(&self, _chunk: Vec<u8>) -> Result<Vec<Event>, AdapterError> {
        self.fed.set(self.fed.get() + 1);
        match chosen().as_str() {
            "flood" => return Ok(texts(10_000)),
            "escapes" if self.fed.get() == 1 => return Ok(vec![Event::Text(ESCAPES.into())]),
            "escapes" => return Ok(Vec::new()),
            _ => {}
        }
        match self.model_id.as_str() {
            "hostile.loop-feed" => spin(),
            "hostile.events" => Ok(vec![
                Event::Usage(Usage {
                    input_tokens: 1,
                    output_tokens: 1,
                });
                MILLIONS
            ]),
            "hostile.trickle" => Ok(texts(100)),
            "hostile.stream" if self.fed.get() > 1 => panic!("hostile decoder trapped mid-stream"),
            _ => Ok(vec![Event::Text("first ".into())]),
        }
    }

    fn finish(&self) -> Result<Vec<Event>, AdapterError> {
        if self.model_id == "hostile.loop-finish" {
            spin();
        }
        Ok(Vec::new())
    }
}

export!(Hostile);
