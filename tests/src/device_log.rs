//! The board image's log, decoded on the host: what it printed through defmt (semihosting
//! writes the encoded frames to QEMU's standard output, which the harness keeps in a file),
//! turned back into lines with the image's own string table.

use std::path::Path;

/// One decoded log line.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// Device time in milliseconds (SysTick since boot), when the image stamps its lines.
    pub ms: Option<u64>,
    /// Level and message, as `defmt-print` shows them: `INFO screen SignedIn`.
    pub text: String,
}

/// The image's log so far: every complete frame in `log`, decoded with the tables in `elf`.
pub fn decode(elf: &Path, log: &Path) -> Result<Vec<LogLine>, String> {
    let elf_bytes = std::fs::read(elf).map_err(|e| format!("{}: {e}", elf.display()))?;
    let table = defmt_decoder::Table::parse(&elf_bytes)
        .map_err(|e| format!("defmt table: {e}"))?
        .ok_or("the image has no defmt table")?;
    let bytes = std::fs::read(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let mut decoder = table.new_stream_decoder();
    decoder.received(&bytes);
    let mut lines = Vec::new();
    loop {
        match decoder.decode() {
            Ok(frame) => {
                let ms = frame
                    .display_timestamp()
                    .and_then(|t| parse_millis(&t.to_string()));
                let level = frame.level().map(|l| l.as_str().to_uppercase());
                let message = frame.display_message().to_string();
                lines.push(LogLine {
                    ms,
                    text: match level {
                        Some(level) => format!("{level} {message}"),
                        None => message,
                    },
                });
            }
            // The rest is a frame still being written.
            Err(defmt_decoder::DecodeError::UnexpectedEof) => break,
            Err(defmt_decoder::DecodeError::Malformed) => {
                return Err(format!("malformed log after {} lines", lines.len()));
            }
        }
    }
    Ok(lines)
}

/// The board stamps lines with `{=u64:ms}`, which defmt shows as seconds with three decimals.
fn parse_millis(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.split_once('.') {
        Some((seconds, millis)) if millis.len() == 3 => {
            Some(seconds.parse::<u64>().ok()? * 1000 + millis.parse::<u64>().ok()?)
        }
        Some(_) => None,
        None => text.parse().ok(),
    }
}

/// The first line at or after `from` whose text contains `needle`.
pub fn find<'a>(lines: &'a [LogLine], from: usize, needle: &str) -> Option<(usize, &'a LogLine)> {
    lines
        .iter()
        .enumerate()
        .skip(from)
        .find(|(_, line)| line.text.contains(needle))
}

#[cfg(test)]
mod tests {
    use super::parse_millis;

    #[test]
    fn timestamps_read_as_milliseconds() {
        assert_eq!(parse_millis("12.345"), Some(12_345));
        assert_eq!(parse_millis(" 0.007"), Some(7));
        assert_eq!(parse_millis("250"), Some(250));
        assert_eq!(parse_millis("1.5"), None);
    }
}
