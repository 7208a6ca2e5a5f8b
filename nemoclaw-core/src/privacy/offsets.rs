//! Byte offsets to Unicode code-point offsets (Python `str` indexes), as
//! the CLI's JSON lines report them.

/// Convert sorted-or-not byte offsets of `text` to code-point offsets in one
/// pass over the text. Offsets not on a char boundary round down.
pub fn byte_to_char_offsets(text: &str, byte_offsets: &[usize]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..byte_offsets.len()).collect();
    order.sort_by_key(|&i| byte_offsets[i]);
    let mut out = vec![0; byte_offsets.len()];
    let mut chars = 0usize;
    let mut iter = text.char_indices().peekable();
    for i in order {
        let target = byte_offsets[i];
        while let Some(&(b, _)) = iter.peek() {
            if b >= target {
                break;
            }
            iter.next();
            chars += 1;
        }
        out[i] = chars;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_points_not_bytes() {
        let t = "Zoë → ana@x.io";
        let start = t.find("ana").unwrap();
        assert_eq!(
            byte_to_char_offsets(t, &[t.len(), start, 0]),
            vec![14, 6, 0]
        );
    }
}
