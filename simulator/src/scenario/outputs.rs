//! What a scenario run leaves in its folder, `OUT/<scenario name>/`:
//!
//! | file | what |
//! |---|---|
//! | `transcript.txt` | steps, screens, outcomes, packets, on virtual time; the verdict last |
//! | `run.gif` | the screen through the whole run, a frame per change |
//! | `NAME.png` | each `screenshot NAME` |
//! | `traffic.pcap` | the device's packets (`--pcap`) |
//! | `device/` | the device's flash image and secret |
//!
//! [`Outputs::record`] is called after everything that may change the device; it moves the
//! device's events into the transcript (and the pcap list) and the frame into the GIF, and
//! hands back the outcomes it saw for the expectations.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use padlock_firmware::net::wire::Capture;

use crate::device::{Device, Event};
use crate::output::gif::GifRecorder;
use crate::output::transcript::Transcript;
use crate::output::{pcap, png};

/// The open outputs of one run.
pub struct Outputs {
    dir: PathBuf,
    /// `None` once closed.
    transcript: Option<Transcript<BufWriter<std::fs::File>>>,
    gif: Option<GifRecorder>,
    /// The device's frame serial the GIF last took.
    frame_seen: u64,
    /// The packets, when a pcap file is wanted.
    captures: Option<Vec<Capture>>,
}

impl Outputs {
    /// Makes `dir` an empty folder for a run: an earlier run's outputs there are cleared,
    /// anything else there is an error.
    ///
    /// # Errors
    /// `dir` holds something that is not an earlier run's outputs, or cannot be made.
    pub fn clear_folder(dir: &Path) -> Result<(), String> {
        // Old screenshots must not pass for new ones. Only an earlier run's folder is cleared
        // (it has a transcript), never a folder that happens to share the name.
        if dir.exists() {
            let earlier_run = dir.join("transcript.txt").is_file()
                || std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_none());
            if !earlier_run {
                return Err(format!(
                    "{} exists and is not the output of an earlier run; choose another --out",
                    dir.display()
                ));
            }
            std::fs::remove_dir_all(dir)
                .map_err(|e| format!("cannot clear {}: {e}", dir.display()))?;
        }
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))
    }

    /// Opens the outputs in `dir` (made by [`Outputs::clear_folder`]): the transcript with
    /// `header`, the GIF at `device`'s display size, a pcap list if `pcap`.
    ///
    /// # Errors
    /// A file cannot be made.
    pub fn create(dir: &Path, header: &str, device: &Device, pcap: bool) -> Result<Self, String> {
        let transcript_path = dir.join("transcript.txt");
        let file = std::fs::File::create(&transcript_path)
            .map_err(|e| format!("{}: {e}", transcript_path.display()))?;
        let mut transcript = Transcript::new(BufWriter::new(file));
        transcript
            .note(header)
            .map_err(|e| format!("transcript: {e}"))?;
        let frame = device.frame();
        let gif_path = dir.join("run.gif");
        let gif = GifRecorder::create(&gif_path, frame.width, frame.height)
            .map_err(|e| format!("{}: {e}", gif_path.display()))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            transcript: Some(transcript),
            gif: Some(gif),
            frame_seen: u64::MAX,
            captures: pcap.then(Vec::new),
        })
    }

    /// The folder of outputs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Takes `device`'s events into the transcript and the pcap list, and its frame into the
    /// GIF if it changed; returns the outcomes among the events, oldest first.
    ///
    /// # Errors
    /// The transcript or the GIF cannot be written.
    pub fn record(&mut self, device: &mut Device) -> Result<Vec<&'static str>, String> {
        let mut outcomes = Vec::new();
        for timed in device.take_events() {
            match &timed.event {
                Event::Outcome(outcome) => outcomes.push(*outcome),
                Event::Packet(capture) => {
                    if let Some(captures) = self.captures.as_mut() {
                        captures.push(capture.clone());
                    }
                }
                _ => {}
            }
            if let Some(transcript) = self.transcript.as_mut() {
                transcript
                    .event(&timed)
                    .map_err(|e| format!("transcript: {e}"))?;
            }
        }
        if device.frame_serial() != self.frame_seen {
            self.frame_seen = device.frame_serial();
            if let Some(gif) = self.gif.as_mut() {
                gif.add(device.now_ms(), device.frame())
                    .map_err(|e| format!("run.gif: {e}"))?;
            }
        }
        Ok(outcomes)
    }

    /// A line of the transcript at virtual time `at_ms`.
    ///
    /// # Errors
    /// The transcript cannot be written.
    pub fn line(&mut self, at_ms: u64, text: &str) -> Result<(), String> {
        match self.transcript.as_mut().map(|t| t.line(at_ms, text)) {
            Some(Err(e)) => Err(format!("transcript: {e}")),
            _ => Ok(()),
        }
    }

    /// Saves the display as `NAME.png` and says so in the transcript.
    ///
    /// # Errors
    /// The file or the transcript cannot be written.
    pub fn screenshot(&mut self, name: &str, device: &Device) -> Result<(), String> {
        let path = self.dir.join(format!("{name}.png"));
        png::save(device.frame(), &path).map_err(|e| format!("{}: {e}", path.display()))?;
        self.line(
            device.now_ms(),
            &format!("screenshot {name}.png ({})", device.screen_name()),
        )
    }

    /// Closes the outputs: the verdict at the end of the transcript, the GIF, the pcap file.
    ///
    /// # Errors
    /// Every file that could not be finished, in one message.
    pub fn finish(&mut self, verdict: &str) -> Result<(), String> {
        let mut problems = Vec::new();
        if let Some(mut transcript) = self.transcript.take() {
            let closed = transcript
                .note(&format!("\n{verdict}"))
                .and_then(|()| transcript.finish().map(drop));
            if let Err(e) = closed {
                problems.push(format!("transcript: {e}"));
            }
        }
        if let Some(gif) = self.gif.take()
            && let Err(e) = gif.finish()
        {
            problems.push(format!("run.gif: {e}"));
        }
        if let Some(captures) = &self.captures {
            let path = self.dir.join("traffic.pcap");
            let written = std::fs::File::create(&path).and_then(|file| {
                let mut out = BufWriter::new(file);
                pcap::write(&mut out, captures)?;
                out.flush()
            });
            if let Err(e) = written {
                problems.push(format!("{}: {e}", path.display()));
            }
        }
        match problems.is_empty() {
            true => Ok(()),
            false => Err(problems.join("; ")),
        }
    }
}
