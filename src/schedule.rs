//! Uptime schedules in kube-downscaler's form: `Mon-Fri 07:30-20:30 Europe/Berlin`, several
//! separated by commas, or `always`. Outside the schedule, `kubenv gc` puts environments to
//! sleep.

use jiff::Timestamp;
use jiff::civil::Weekday;
use jiff::tz::TimeZone;

#[derive(Clone, Debug)]
pub struct Schedule {
    windows: Vec<Window>,
}

#[derive(Clone, Debug)]
struct Window {
    days: [bool; 7],
    start: u32,
    end: u32,
    tz: TimeZone,
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn day(s: &str) -> Result<usize, String> {
    DAYS.iter()
        .position(|d| d.eq_ignore_ascii_case(s))
        .ok_or_else(|| format!("unknown day {s:?}; use Mon, Tue, Wed, Thu, Fri, Sat, Sun"))
}

fn minutes(s: &str) -> Result<u32, String> {
    let bad = || format!("bad time {s:?}; use HH:MM, e.g. 07:30");
    let (h, m) = s.split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 24 || m > 59 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

impl Schedule {
    pub fn parse(text: &str) -> Result<Schedule, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("always") {
            return Ok(Schedule { windows: vec![] });
        }
        let mut windows = Vec::new();
        for part in t.split(',') {
            let fields: Vec<&str> = part.split_whitespace().collect();
            let [days, times, zone] = fields[..] else {
                return Err(format!("{part:?} is not like `Mon-Fri 07:30-20:30 Europe/Berlin`"));
            };
            let mut set = [false; 7];
            for d in days.split(';') {
                match d.split_once('-') {
                    Some((a, b)) => {
                        let (a, b) = (day(a)?, day(b)?);
                        let mut i = a;
                        loop {
                            set[i] = true;
                            if i == b {
                                break;
                            }
                            i = (i + 1) % 7;
                        }
                    }
                    None => set[day(d)?] = true,
                }
            }
            let (a, b) = times
                .split_once('-')
                .ok_or_else(|| format!("bad time range {times:?}; use 07:30-20:30"))?;
            let (start, end) = (minutes(a)?, minutes(b)?);
            if start >= end {
                return Err(format!("time range {times:?} ends before it starts"));
            }
            let tz = TimeZone::get(zone)
                .map_err(|_| format!("unknown time zone {zone:?}; use an IANA name like Europe/Berlin or UTC"))?;
            windows.push(Window {
                days: set,
                start,
                end,
                tz,
            });
        }
        Ok(Schedule { windows })
    }

    /// Whether environments should be up at `now`.
    pub fn is_up(&self, now: Timestamp) -> bool {
        if self.windows.is_empty() {
            return true;
        }
        self.windows.iter().any(|w| {
            let z = now.to_zoned(w.tz.clone());
            let d = match z.weekday() {
                Weekday::Monday => 0,
                Weekday::Tuesday => 1,
                Weekday::Wednesday => 2,
                Weekday::Thursday => 3,
                Weekday::Friday => 4,
                Weekday::Saturday => 5,
                Weekday::Sunday => 6,
            };
            let m = z.hour() as u32 * 60 + z.minute() as u32;
            w.days[d] && m >= w.start && m < w.end
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uptime() {
        let s = Schedule::parse("Mon-Fri 07:30-20:30 Europe/Berlin").unwrap();
        // 2030-01-07 is a Monday. 08:00 UTC = 09:00 Berlin (winter).
        assert!(s.is_up("2030-01-07T08:00:00Z".parse().unwrap()));
        assert!(
            !s.is_up("2030-01-07T06:00:00Z".parse().unwrap()),
            "06:00 UTC is 07:00 in Berlin"
        );
        assert!(!s.is_up("2030-01-05T12:00:00Z".parse().unwrap()), "Saturday");
        let s = Schedule::parse("Sat-Sun 10:00-12:00 UTC, Mon 00:00-24:00 UTC").unwrap();
        assert!(s.is_up("2030-01-05T11:00:00Z".parse().unwrap()));
        assert!(s.is_up("2030-01-07T23:59:00Z".parse().unwrap()));
        assert!(
            Schedule::parse("always")
                .unwrap()
                .is_up("2030-01-05T11:00:00Z".parse().unwrap())
        );
        for bad in [
            "Mon-Fri 07:30-20:30",
            "Mon-Xyz 07:30-20:30 UTC",
            "Mon 25:00-26:00 UTC",
            "Mon 09:00-08:00 UTC",
            "Mon 09:00-10:00 Mars/Base",
        ] {
            assert!(Schedule::parse(bad).is_err(), "{bad}");
        }
    }
}
