//! Sound for phone tests: a spoken prompt made with espeak-ng, converted with
//! sox to what baresip's aufile source plays (8 kHz, mono, signed 16-bit), and
//! the loudness (RMS amplitude, full scale 1.0) of a recording, to tell speech
//! from silence.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::process::{run_bounded, Finished};

/// Below this RMS a recording counts as silence. Speech made by
/// [`write_prompt`] measures around 0.09; a silent call about 0.0001.
pub const SPEECH_RMS: f64 = 0.005;

/// Writes `text`, spoken, to `wav` as 8 kHz mono s16, followed by `silence`
/// seconds of silence. baresip hangs up when its audio file ends, so the
/// silence is what keeps a call up after the words.
pub fn write_prompt(text: &str, wav: &Path, silence: u32) {
    let speech = wav.with_extension("speech.wav");
    let spoken = run_bounded(
        Command::new("espeak-ng").arg("-w").arg(&speech).arg(text),
        Duration::from_secs(30),
    );
    assert!(spoken.success(), "espeak-ng failed (is it installed?): {}", spoken.describe());

    let converted = run_bounded(
        Command::new("sox")
            .arg(&speech)
            .args(["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"])
            .arg(wav)
            .args(["gain", "-3", "pad", "0", &silence.to_string()]),
        Duration::from_secs(30),
    );
    assert!(converted.success(), "sox failed (is it installed?): {}", converted.describe());
}

/// Writes `seconds` of silence to `wav` as 8 kHz mono s16.
pub fn write_silence(wav: &Path, seconds: u32) {
    let made = run_bounded(
        Command::new("sox")
            .args(["-n", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"])
            .arg(wav)
            .args(["trim", "0", &seconds.to_string()]),
        Duration::from_secs(30),
    );
    assert!(made.success(), "sox failed (is it installed?): {}", made.describe());
}

/// Loudness of a WAV file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Loudness {
    pub rms: f64,
    pub seconds: f64,
}

/// Measures `wav` with `sox FILE -n stat`.
///
/// Panics with sox's output when it cannot read the file.
pub fn loudness(wav: &Path) -> Loudness {
    let stat: Finished =
        run_bounded(Command::new("sox").arg(wav).args(["-n", "stat"]), Duration::from_secs(30));
    // sox prints its statistics on stderr.
    let field = |label: &str| -> Option<f64> {
        stat.stderr
            .lines()
            .find(|line| line.starts_with(label))
            .and_then(|line| line.rsplit(':').next())
            .and_then(|value| value.trim().parse().ok())
    };
    match (field("RMS     amplitude"), field("Length (seconds)")) {
        (Some(rms), Some(seconds)) => Loudness { rms, seconds },
        _ => panic!("sox could not measure {}: {}", wav.display(), stat.describe()),
    }
}
