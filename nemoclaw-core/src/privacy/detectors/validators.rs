//! Checksums and structural rules that turn a regex candidate into a finding.

/// Luhn checksum over the ASCII digits of `s` (other bytes ignored).
pub fn luhn(s: &str) -> bool {
    let digits: Vec<u32> = s
        .bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| u32::from(b - b'0'))
        .collect();
    if digits.len() < 2 {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

/// Whether `digits` (digits only) starts with a known issuer prefix and has a
/// length that issuer uses. Returns the issuer's name.
pub fn card_issuer(digits: &str) -> Option<&'static str> {
    let n = digits.len();
    let p = |k: usize| -> u32 { digits.get(..k).and_then(|s| s.parse().ok()).unwrap_or(0) };
    if digits.starts_with('4') && matches!(n, 13 | 16 | 19) {
        return Some("visa");
    }
    if n == 16 && ((51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4))) {
        return Some("mastercard");
    }
    if n == 15 && matches!(p(2), 34 | 37) {
        return Some("amex");
    }
    if (16..=19).contains(&n)
        && (p(4) == 6011
            || p(2) == 65
            || (644..=649).contains(&p(3))
            || (622126..=622925).contains(&p(6)))
    {
        return Some("discover");
    }
    if (16..=19).contains(&n) && (3528..=3589).contains(&p(4)) {
        return Some("jcb");
    }
    if (14..=19).contains(&n)
        && ((300..=305).contains(&p(3)) || matches!(p(2), 36 | 38 | 39) || p(4) == 3095)
    {
        return Some("diners");
    }
    if (16..=19).contains(&n) && p(2) == 62 {
        return Some("unionpay");
    }
    if (12..=19).contains(&n) && (p(2) == 50 || (56..=69).contains(&p(2))) {
        return Some("maestro");
    }
    None
}

/// IBAN length per country (ISO 13616 registry).
pub fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "AD" => 24,
        "AE" => 23,
        "AL" => 28,
        "AT" => 20,
        "AZ" => 28,
        "BA" => 20,
        "BE" => 16,
        "BG" => 22,
        "BH" => 22,
        "BR" => 29,
        "BY" => 28,
        "CH" => 21,
        "CR" => 22,
        "CY" => 28,
        "CZ" => 24,
        "DE" => 22,
        "DK" => 18,
        "DO" => 28,
        "EE" => 20,
        "EG" => 29,
        "ES" => 24,
        "FI" => 18,
        "FO" => 18,
        "FR" => 27,
        "GB" => 22,
        "GE" => 22,
        "GI" => 23,
        "GL" => 18,
        "GR" => 27,
        "GT" => 28,
        "HR" => 21,
        "HU" => 28,
        "IE" => 22,
        "IL" => 23,
        "IQ" => 23,
        "IS" => 26,
        "IT" => 27,
        "JO" => 30,
        "KW" => 30,
        "KZ" => 20,
        "LB" => 28,
        "LC" => 32,
        "LI" => 21,
        "LT" => 20,
        "LU" => 20,
        "LV" => 21,
        "MC" => 27,
        "MD" => 24,
        "ME" => 22,
        "MK" => 19,
        "MR" => 27,
        "MT" => 31,
        "MU" => 30,
        "NL" => 18,
        "NO" => 15,
        "PK" => 24,
        "PL" => 28,
        "PS" => 29,
        "PT" => 25,
        "QA" => 29,
        "RO" => 24,
        "RS" => 22,
        "SA" => 24,
        "SC" => 31,
        "SE" => 24,
        "SI" => 19,
        "SK" => 24,
        "SM" => 27,
        "ST" => 25,
        "SV" => 28,
        "TL" => 23,
        "TN" => 24,
        "TR" => 26,
        "UA" => 29,
        "VA" => 22,
        "VG" => 24,
        "XK" => 20,
        _ => return None,
    })
}

/// ISO 7064 mod-97 check of a compact IBAN (uppercase letters and digits).
pub fn iban_mod97(iban: &str) -> bool {
    if iban.len() < 5
        || !iban
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
    {
        return false;
    }
    let (head, tail) = iban.split_at(4);
    let mut rem: u32 = 0;
    for b in tail.bytes().chain(head.bytes()) {
        let v = if b.is_ascii_digit() {
            u32::from(b - b'0')
        } else {
            u32::from(b - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// US SSN rules: area not 000, 666 or 900-999; group not 00; serial not
/// 0000; well-known advertising numbers excluded.
pub fn ssn_valid(area: u32, group: u32, serial: u32) -> bool {
    if area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0 {
        return false;
    }
    // Woolworth wallet card and the 1940s advertising run, plus 123-45-6789.
    !matches!(
        (area, group, serial),
        (78, 5, 1120) | (219, 9, 9999) | (123, 45, 6789)
    )
}

/// US ITIN rules: area 9xx, group 50-65, 70-88, 90-92 or 94-99.
pub fn itin_valid(area: u32, group: u32) -> bool {
    (900..=999).contains(&area)
        && ((50..=65).contains(&group)
            || (70..=88).contains(&group)
            || (90..=92).contains(&group)
            || (94..=99).contains(&group))
}

/// Shannon entropy in bits per character.
pub fn entropy(s: &str) -> f32 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = s.len() as f32;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f32 / n;
            -p * p.log2()
        })
        .sum()
}

/// Whether a JWT candidate's header decodes to JSON naming an `alg`.
pub fn jwt_header_ok(token: &str) -> bool {
    use base64::Engine as _;
    let Some(header) = token.split('.').next() else {
        return false;
    };
    let Ok(bytes) =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header.trim_end_matches('='))
    else {
        return false;
    };
    serde_json::from_slice::<serde_json::Value>(&bytes)
        .map(|v| v.get("alg").is_some() || v.get("typ").is_some())
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_valid_and_rejects_invalid() {
        assert!(luhn("4111 1111 1111 1111"));
        assert!(luhn("378282246310005"));
        assert!(!luhn("4111 1111 1111 1112"));
        assert!(!luhn("1"));
    }

    #[test]
    fn issuers() {
        assert_eq!(card_issuer("4111111111111111"), Some("visa"));
        assert_eq!(card_issuer("5555555555554444"), Some("mastercard"));
        assert_eq!(card_issuer("2223003122003222"), Some("mastercard"));
        assert_eq!(card_issuer("378282246310005"), Some("amex"));
        assert_eq!(card_issuer("6011111111111117"), Some("discover"));
        assert_eq!(card_issuer("3530111333300000"), Some("jcb"));
        assert_eq!(card_issuer("1234567812345678"), None);
        assert_eq!(card_issuer("41111111111111"), None);
    }

    #[test]
    fn iban_checks() {
        assert!(iban_mod97("DE89370400440532013000"));
        assert!(iban_mod97("GB82WEST12345698765432"));
        assert!(!iban_mod97("DE89370400440532013001"));
        assert!(!iban_mod97("de89370400440532013000"));
        assert_eq!(iban_length("DE"), Some(22));
        assert_eq!(iban_length("ZZ"), None);
    }

    #[test]
    fn ssn_and_itin_rules() {
        assert!(ssn_valid(536, 22, 1234));
        assert!(!ssn_valid(0, 22, 1234));
        assert!(!ssn_valid(666, 22, 1234));
        assert!(!ssn_valid(912, 22, 1234));
        assert!(!ssn_valid(536, 0, 1234));
        assert!(!ssn_valid(536, 22, 0));
        assert!(!ssn_valid(78, 5, 1120));
        assert!(itin_valid(912, 78));
        assert!(!itin_valid(912, 40));
        assert!(!itin_valid(812, 78));
    }

    #[test]
    fn entropy_orders_strings() {
        assert!(entropy("aaaaaaaa") < 0.1);
        assert!(entropy("hX9$kq2LzP0w") > 3.0);
    }

    #[test]
    fn jwt_header() {
        assert!(jwt_header_ok(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxIn0.sig"
        ));
        assert!(!jwt_header_ok("eyJub3QganNvbg.x.y"));
    }
}
