//! What a `.wasm` file is, read without running it: its size and sha256,
//! whether it is a component or a core module, what it imports and exports,
//! which contract version(s) it names, and whether this host serves it.
//!
//! Invariant: nothing here compiles or instantiates the file. It is parsed
//! and validated with `wasmparser` (the parser wasmtime itself uses), so
//! inspecting a hostile file costs at most one pass over its bytes, and the
//! verdict on the contract version is the one the loader applies
//! (`loader::check_contract`), word for word.

use wasmparser::{
    ComponentExternalKind, ExternalKind, Parser, Payload, TypeRef, Validator, WasmFeatures,
};

use super::loader::{check_contract, served_contracts};
use super::lock::sha256_hex;

/// The two kinds of WebAssembly binary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WasmKind {
    /// A component (what a plugin is).
    Component,
    /// A core module (not a plugin: it has no typed interface).
    CoreModule,
}

impl WasmKind {
    /// A short name for output.
    pub fn as_str(self) -> &'static str {
        match self {
            WasmKind::Component => "component",
            WasmKind::CoreModule => "core module",
        }
    }
}

/// One import or export of the outermost component or module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// The name it is imported or exported as.
    pub name: String,
    /// What it is: `instance`, `func`, `type`, `memory`, ...
    pub kind: &'static str,
}

/// What inspecting a file found.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The file's size in bytes.
    pub size: usize,
    /// The sha256 of its bytes, in hex.
    pub sha256: String,
    /// Component or core module.
    pub kind: WasmKind,
    /// The outermost imports, in file order.
    pub imports: Vec<Item>,
    /// The outermost exports, in file order.
    pub exports: Vec<Item>,
    /// Every version of the `bedrock:adapter` package the file names in an
    /// import or export, sorted and without repeats.
    pub contract_versions: Vec<String>,
    /// The contract version the host would serve it as, or why it would
    /// refuse it.
    pub verdict: Result<String, String>,
}

/// Why a file could not be inspected at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    /// Zero bytes.
    #[error("the file is empty; a plugin is a WebAssembly component")]
    Empty,
    /// No WebAssembly header.
    #[error("not a WebAssembly file: it does not start with the `\\0asm` header")]
    NotWasm,
    /// A WebAssembly header, but the rest does not parse or validate.
    #[error("not a valid WebAssembly {kind}: {reason}")]
    Malformed { kind: &'static str, reason: String },
}

/// Inspects `bytes` as a plugin file.
pub fn inspect(bytes: &[u8]) -> Result<Inspection, InspectError> {
    if bytes.is_empty() {
        return Err(InspectError::Empty);
    }
    let kind = if Parser::is_component(bytes) {
        WasmKind::Component
    } else if Parser::is_core_wasm(bytes) {
        WasmKind::CoreModule
    } else if bytes.starts_with(b"\0asm") {
        return Err(InspectError::Malformed {
            kind: "file",
            reason: "its header is neither a core module's nor a component's".into(),
        });
    } else {
        return Err(InspectError::NotWasm);
    };
    let malformed = |error: wasmparser::BinaryReaderError| InspectError::Malformed {
        kind: kind.as_str(),
        reason: error.to_string(),
    };
    let (imports, exports) = outer_items(bytes).map_err(malformed)?;
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(bytes)
        .map_err(malformed)?;
    let mut contract_versions: Vec<String> = imports
        .iter()
        .chain(&exports)
        .filter_map(|item| contract_version_of(&item.name))
        .collect();
    contract_versions.sort();
    contract_versions.dedup();
    let verdict = match kind {
        WasmKind::CoreModule => Err(format!(
            "is a core WebAssembly module, not a component; this host serves components of {}",
            served_contracts()
        )),
        WasmKind::Component => {
            let instances: Vec<String> = exports
                .iter()
                .filter(|item| item.kind == "instance")
                .map(|item| item.name.clone())
                .collect();
            check_contract(&instances)
        }
    };
    Ok(Inspection {
        size: bytes.len(),
        sha256: sha256_hex(bytes),
        kind,
        imports,
        exports,
        contract_versions,
        verdict,
    })
}

/// The version in a `bedrock:adapter/<interface>@<version>` name.
fn contract_version_of(name: &str) -> Option<String> {
    let (package, version) = name.strip_prefix("bedrock:adapter/")?.split_once('@')?;
    (!package.is_empty()).then(|| version.to_owned())
}

type Items = (Vec<Item>, Vec<Item>);

/// The imports and exports of the outermost component or module, skipping
/// those of the modules and components nested inside it.
fn outer_items(bytes: &[u8]) -> Result<Items, wasmparser::BinaryReaderError> {
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let mut depth = 0usize;
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::Version { .. } => depth += 1,
            Payload::End(_) => depth = depth.saturating_sub(1),
            Payload::ComponentImportSection(section) if depth == 1 => {
                for import in section {
                    let import = import?;
                    imports.push(Item {
                        name: import.name.name.to_owned(),
                        kind: component_kind(import.ty.kind()),
                    });
                }
            }
            Payload::ComponentExportSection(section) if depth == 1 => {
                for export in section {
                    let export = export?;
                    exports.push(Item {
                        name: export.name.name.to_owned(),
                        kind: component_kind(export.kind),
                    });
                }
            }
            Payload::ImportSection(section) if depth == 1 => {
                for import in section.into_imports() {
                    let import = import?;
                    imports.push(Item {
                        name: format!("{}::{}", import.module, import.name),
                        kind: core_import_kind(&import.ty),
                    });
                }
            }
            Payload::ExportSection(section) if depth == 1 => {
                for export in section {
                    let export = export?;
                    exports.push(Item {
                        name: export.name.to_owned(),
                        kind: core_export_kind(export.kind),
                    });
                }
            }
            _ => {}
        }
    }
    Ok((imports, exports))
}

fn component_kind(kind: ComponentExternalKind) -> &'static str {
    match kind {
        ComponentExternalKind::Module => "module",
        ComponentExternalKind::Func => "func",
        ComponentExternalKind::Value => "value",
        ComponentExternalKind::Type => "type",
        ComponentExternalKind::Instance => "instance",
        ComponentExternalKind::Component => "component",
    }
}

fn core_import_kind(ty: &TypeRef) -> &'static str {
    match ty {
        TypeRef::Func(_) | TypeRef::FuncExact(_) => "func",
        TypeRef::Table(_) => "table",
        TypeRef::Memory(_) => "memory",
        TypeRef::Global(_) => "global",
        TypeRef::Tag(_) => "tag",
    }
}

fn core_export_kind(kind: ExternalKind) -> &'static str {
    match kind {
        ExternalKind::Func | ExternalKind::FuncExact => "func",
        ExternalKind::Table => "table",
        ExternalKind::Memory => "memory",
        ExternalKind::Global => "global",
        ExternalKind::Tag => "tag",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(module (import "env" "f" (func)) (memory (export "memory") 1))`.
    const CORE_MODULE: &[u8] = &[
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
        0x02, 0x09, 0x01, 0x03, b'e', b'n', b'v', 0x01, b'f', 0x00, 0x00, // import env::f
        0x05, 0x03, 0x01, 0x00, 0x01, // memory section: 1 page
        0x07, 0x0a, 0x01, 0x06, b'm', b'e', b'm', b'o', b'r', b'y', 0x02, 0x00, // export
    ];

    #[test]
    fn a_core_module_is_read_and_refused_as_not_a_component() {
        let inspection = inspect(CORE_MODULE).expect("a valid core module");
        assert_eq!(inspection.kind, WasmKind::CoreModule);
        assert_eq!(
            inspection.imports,
            vec![Item {
                name: "env::f".into(),
                kind: "func"
            }]
        );
        assert_eq!(
            inspection.exports,
            vec![Item {
                name: "memory".into(),
                kind: "memory"
            }]
        );
        let refusal = inspection.verdict.expect_err("not a plugin");
        assert!(refusal.contains("core WebAssembly module"), "{refusal}");
    }

    #[test]
    fn empty_foreign_and_truncated_files_are_errors() {
        assert_eq!(inspect(b"").unwrap_err(), InspectError::Empty);
        assert_eq!(
            inspect(b"MZ\x90\0 not wasm").unwrap_err(),
            InspectError::NotWasm
        );
        let truncated = &CORE_MODULE[..CORE_MODULE.len() - 3];
        assert!(matches!(
            inspect(truncated).unwrap_err(),
            InspectError::Malformed {
                kind: "core module",
                ..
            }
        ));
    }

    #[test]
    fn contract_versions_come_from_adapter_package_names() {
        assert_eq!(
            contract_version_of("bedrock:adapter/adapter@0.1.0").as_deref(),
            Some("0.1.0")
        );
        assert_eq!(
            contract_version_of("bedrock:adapter/types@2.0.0").as_deref(),
            Some("2.0.0")
        );
        assert_eq!(contract_version_of("wasi:io/streams@0.2.0"), None);
        assert_eq!(contract_version_of("bedrock:adapter/adapter"), None);
    }
}
