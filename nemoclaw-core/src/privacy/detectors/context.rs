//! Context words: words near a match that raise or lower its confidence.

/// Bytes looked at before a match.
pub const BEFORE: usize = 64;
/// Bytes looked at after a match.
pub const AFTER: usize = 32;

/// The lowercased text around `start..end` (the match itself excluded).
pub fn window(text: &str, start: usize, end: usize) -> String {
    let mut from = start.saturating_sub(BEFORE);
    while from > 0 && !text.is_char_boundary(from) {
        from -= 1;
    }
    let mut to = (end + AFTER).min(text.len());
    while to < text.len() && !text.is_char_boundary(to) {
        to += 1;
    }
    let mut w = String::with_capacity(to - from + 1);
    w.push_str(text.get(from..start).unwrap_or(""));
    w.push(' ');
    w.push_str(text.get(end..to).unwrap_or(""));
    w.to_ascii_lowercase()
}

/// The lowercased text before `start` only.
pub fn before(text: &str, start: usize, len: usize) -> String {
    let mut from = start.saturating_sub(len);
    while from > 0 && !text.is_char_boundary(from) {
        from -= 1;
    }
    text.get(from..start).unwrap_or("").to_ascii_lowercase()
}

/// Whether any of `words` occurs in `window`.
pub fn has_any(window: &str, words: &[&str]) -> bool {
    words.iter().any(|w| window.contains(w))
}

/// Adjust a base score by context: `-0.4` if a negative word is near
/// (negative words win), else `+0.35` if a positive one is.
pub fn adjust(base: f32, window: &str, positive: &[&str], negative: &[&str]) -> f32 {
    let score = if has_any(window, negative) {
        base - 0.4
    } else if has_any(window, positive) {
        base + 0.35
    } else {
        base
    };
    score.clamp(0.0, 1.0)
}
