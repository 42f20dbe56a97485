//! Maps Stability's per-image finish reasons onto the contract's
//! `stop-reason`, keeping the value as sent, and folds the reasons of
//! several images into the one stop of a response.
//!
//! Invariants: every value maps to something (unknown ones to `other`), the
//! raw value is never lost, and an image is output only when its own stop
//! is end-turn (see [`keeps_image`]): a filtered or failed image is never
//! shown, whatever bytes came with it.

use bedrock_adapter_kit::types::{Stop, StopReason};

/// An SDXL artifact's `finishReason`: `SUCCESS`, `CONTENT_FILTERED` or
/// `ERROR` (AWS, "Stability.ai Diffusion 1.0 text to image"). A missing
/// value is read as success.
pub fn from_sdxl(raw: Option<&str>) -> Stop {
    let reason = match raw {
        None | Some("SUCCESS") => StopReason::EndTurn,
        Some("CONTENT_FILTERED") => StopReason::ContentFiltered,
        Some(_) => StopReason::Other,
    };
    Stop {
        reason,
        raw: raw.map(str::to_owned),
    }
}

/// An SD3 / Stable Image `finish_reasons` entry: `null` for success, else
/// `"Filter reason: prompt"`, `"Filter reason: output image"`, `"Filter
/// reason: input image"` or `"Inference error"` (AWS, "Stable Image Ultra
/// request and response").
pub fn from_stable_image(raw: Option<&str>) -> Stop {
    let reason = match raw {
        None => StopReason::EndTurn,
        Some(value) if value.starts_with("Filter reason") => StopReason::ContentFiltered,
        Some(_) => StopReason::Other,
    };
    Stop {
        reason,
        raw: raw.map(str::to_owned),
    }
}

/// Whether the image that came with `stop` is output.
pub fn keeps_image(stop: &Stop) -> bool {
    stop.reason == StopReason::EndTurn
}

/// The stop of a whole response: the first filtered image's, else the
/// first failed one's, else the first image's.
pub fn overall(stops: Vec<Stop>) -> Option<Stop> {
    let rank = |stop: &Stop| match stop.reason {
        StopReason::ContentFiltered => 0,
        StopReason::EndTurn => 2,
        _ => 1,
    };
    stops
        .into_iter()
        .enumerate()
        .min_by_key(|(index, stop)| (rank(stop), *index))
        .map(|(_, stop)| stop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stop(reason: StopReason, raw: Option<&str>) -> Stop {
        Stop {
            reason,
            raw: raw.map(str::to_owned),
        }
    }

    #[test]
    fn sdxl_values() {
        for (raw, reason) in [
            (Some("SUCCESS"), StopReason::EndTurn),
            (None, StopReason::EndTurn),
            (Some("CONTENT_FILTERED"), StopReason::ContentFiltered),
            (Some("ERROR"), StopReason::Other),
            (Some("SOMETHING_NEW"), StopReason::Other),
        ] {
            assert_eq!(from_sdxl(raw), stop(reason, raw));
        }
    }

    #[test]
    fn stable_image_values() {
        for (raw, reason) in [
            (None, StopReason::EndTurn),
            (Some("Filter reason: prompt"), StopReason::ContentFiltered),
            (
                Some("Filter reason: output image"),
                StopReason::ContentFiltered,
            ),
            (
                Some("Filter reason: input image"),
                StopReason::ContentFiltered,
            ),
            (Some("Inference error"), StopReason::Other),
        ] {
            assert_eq!(from_stable_image(raw), stop(reason, raw));
        }
    }

    #[test]
    fn overall_prefers_filtered_then_failed() {
        let ok = stop(StopReason::EndTurn, Some("SUCCESS"));
        let error = stop(StopReason::Other, Some("ERROR"));
        let filtered = stop(StopReason::ContentFiltered, Some("CONTENT_FILTERED"));
        assert_eq!(
            overall(vec![ok.clone(), error.clone(), filtered.clone()]),
            Some(filtered)
        );
        assert_eq!(overall(vec![ok.clone(), error.clone()]), Some(error));
        assert_eq!(overall(vec![ok.clone(), ok.clone()]), Some(ok));
        assert_eq!(overall(Vec::new()), None);
    }
}
