//! Machine facts for a benchmark record: CPU, load and memory, read from `/proc` (Linux
//! only; elsewhere the fields are empty).

use serde::{Deserialize, Serialize};

/// The machine a benchmark ran on.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Machine {
    /// `model name` of the first CPU in `/proc/cpuinfo`.
    pub cpu_model: Option<String>,
    /// CPUs this process may run on.
    pub cpus: usize,
    /// `cpu MHz` of the first CPU in `/proc/cpuinfo` (under a hypervisor often the base
    /// clock, not the boost clock).
    pub cpu_mhz: Option<f64>,
    /// The SIMD flags that matter for `f32` matrix products.
    pub simd_flags: Vec<String>,
    /// UTC date and time when the benchmark started, `YYYY-MM-DD HH:MM`.
    pub date_utc: String,
    /// The 1-, 5- and 15-minute load averages when the benchmark started.
    pub load_average_start: Option<[f64; 3]>,
}

/// SIMD flags listed in the record when the CPU has them.
const SIMD_FLAGS: [&str; 6] = ["avx", "avx2", "fma", "avx512f", "avx512vl", "avx512_bf16"];

impl Machine {
    /// Describes this machine now.
    pub fn describe() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let field = |name: &str| {
            cpuinfo
                .lines()
                .find(|line| line.starts_with(name))
                .and_then(|line| line.split_once(':'))
                .map(|(_, value)| value.trim().to_string())
        };
        let flags = field("flags").unwrap_or_default();
        let flags: Vec<&str> = flags.split_whitespace().collect();
        Machine {
            cpu_model: field("model name"),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            cpu_mhz: field("cpu MHz").and_then(|mhz| mhz.parse().ok()),
            simd_flags: SIMD_FLAGS
                .iter()
                .filter(|flag| flags.contains(flag))
                .map(|flag| flag.to_string())
                .collect(),
            date_utc: utc_now(),
            load_average_start: load_averages(),
        }
    }
}

/// The three load averages from `/proc/loadavg`.
pub fn load_averages() -> Option<[f64; 3]> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().ok());
    Some([fields.next()??, fields.next()??, fields.next()??])
}

/// The 1-minute load average.
pub fn load_average() -> Option<f64> {
    load_averages().map(|l| l[0])
}

/// Peak resident set size of this process (VmHWM in `/proc/self/status`), in MiB.
pub fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// CPU time of this process and the time its threads waited for a CPU, in seconds, summed
/// over the threads in `/proc/self/task/*/schedstat`. Threads that already ended are
/// missing, so call this while the threads of interest run or are parked.
pub fn cpu_and_wait_seconds() -> Option<(f64, f64)> {
    let mut total = (0.0, 0.0);
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let text = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        let mut fields = text.split_whitespace().map(|f| f.parse::<f64>().ok());
        total.0 += fields.next()?? / 1e9;
        total.1 += fields.next()?? / 1e9;
    }
    Some(total)
}

/// The current UTC time as `YYYY-MM-DD HH:MM`.
fn utc_now() -> String {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (seconds / 86_400, seconds % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// The proleptic Gregorian date of `days` after 1970-01-01 (Howard Hinnant's
/// `civil_from_days` algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_from_days_known_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }
}
