//! Kubernetes resource quantities ("500m", "4Gi", "1.5") as numbers, and back to short text.

/// Parses a quantity into its base unit (cores for CPU, bytes for memory).
pub fn parse(q: &str) -> Option<f64> {
    let q = q.trim();
    let split = q
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(q.len());
    let (num, suffix) = q.split_at(split);
    if num.is_empty() {
        return None;
    }
    let n: f64 = num.parse().ok()?;
    let mult = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => 10f64.powi(s[1..].parse().ok()?),
        _ => return None,
    };
    let v = n * mult;
    (v.is_finite() && v >= 0.0).then_some(v)
}

/// CPU cores in the short form kubectl uses: `250m`, `2`, `1.5`.
pub fn format_cpu(cores: f64) -> String {
    if cores == 0.0 {
        "0".into()
    } else if cores < 1.0 || (cores * 1000.0).fract() == 0.0 && cores.fract() != 0.0 {
        format!("{}m", (cores * 1000.0).round() as i64)
    } else {
        format!("{}", (cores * 100.0).round() / 100.0)
    }
}

/// Bytes in binary units: `512Mi`, `8Gi`, `1.5Gi`.
pub fn format_bytes(bytes: f64) -> String {
    const UNITS: [(&str, f64); 4] = [
        ("Ti", 1099511627776.0),
        ("Gi", 1073741824.0),
        ("Mi", 1048576.0),
        ("Ki", 1024.0),
    ];
    if bytes == 0.0 {
        return "0".into();
    }
    for (u, size) in UNITS {
        if bytes >= size {
            let v = bytes / size;
            return if v.fract() == 0.0 {
                format!("{v}{u}")
            } else {
                format!("{:.1}{u}", v)
            };
        }
    }
    format!("{bytes}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities() {
        assert_eq!(parse("500m"), Some(0.5));
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse("4Gi"), Some(4.0 * 1073741824.0));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse("abc"), None);
        assert_eq!(parse("5Zi"), None);
        assert_eq!(format_cpu(0.25), "250m");
        assert_eq!(format_cpu(4.0), "4");
        assert_eq!(format_cpu(1.5), "1500m");
        assert_eq!(format_bytes(8.0 * 1073741824.0), "8Gi");
        assert_eq!(format_bytes(512.0 * 1048576.0), "512Mi");
    }
}
