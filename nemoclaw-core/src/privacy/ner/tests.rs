use std::path::{Path, PathBuf};

use candle_core::quantized::{GgmlDType, QStorage, QTensor};
use candle_core::Device;

use super::labels::{aggregate, Tag, Token, TokenTag};
use super::onnx::Q4Matrix;
use super::*;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The installed default model, or `None` (with a note) when set-up has not
/// placed it.
fn default_model() -> Option<NerModel> {
    match NerModel::load_default() {
        Ok(m) => Some(m),
        Err(NerError::ModelNotFound { looked }) => {
            eprintln!(
                "SKIPPED: the NER model is not installed (looked in {looked}); run `make setup`"
            );
            None
        }
        Err(e) => panic!("the installed NER model does not load: {e}"),
    }
}

#[test]
fn windows_cover_every_token_with_overlap() {
    assert!(plan_windows(0, 510, 128).is_empty());
    assert_eq!(plan_windows(5, 510, 128), vec![(0, 5)]);
    assert_eq!(plan_windows(510, 510, 128), vec![(0, 510)]);
    for n in [511, 900, 1300, 5000] {
        let w = plan_windows(n, 510, 128);
        assert_eq!(w[0].0, 0);
        assert_eq!(w.last().map(|w| w.1), Some(n));
        for pair in w.windows(2) {
            assert!(pair[1].0 < pair[0].1, "windows must overlap: {pair:?}");
            assert!(pair[0].1 - pair[1].0 >= 128);
        }
        assert!(w.iter().all(|(s, e)| e - s == 510));
    }
}

#[test]
fn tags_parse() {
    assert_eq!(TokenTag::parse("O"), None);
    assert_eq!(
        TokenTag::parse("B-GIVEN_NAME"),
        Some(TokenTag {
            tag: Tag::Begin,
            kind: "GIVEN_NAME".into()
        })
    );
    assert_eq!(
        TokenTag::parse("I-PER"),
        Some(TokenTag {
            tag: Tag::Inside,
            kind: "PER".into()
        })
    );
    assert_eq!(TokenTag::parse("U-LOC").map(|t| t.tag), Some(Tag::Begin));
    assert_eq!(TokenTag::parse("L-LOC").map(|t| t.tag), Some(Tag::Inside));
    assert_eq!(
        TokenTag::parse("PER"),
        Some(TokenTag {
            tag: Tag::Inside,
            kind: "PER".into()
        })
    );
    assert_eq!(presidio_label("SURNAME"), "PERSON");
    assert_eq!(presidio_label("ZIP_CODE"), "LOCATION");
    assert_eq!(presidio_label("EMAIL"), "EMAIL_ADDRESS");
    assert_eq!(presidio_label("GOVERNMENT_ID"), "GOVERNMENT_ID");
}

fn tok(start: usize, end: usize, word: u32, label: &str, score: f32) -> Token {
    Token {
        start,
        end,
        word: Some(word),
        tag: TokenTag::parse(label),
        score,
    }
}

#[test]
fn aggregation_joins_subwords_names_and_addresses() {
    //          0         1         2         3
    //          0123456789012345678901234567890123456
    let text = "Ann Lee at 5 Oak St, Reno ok";
    let tokens = vec![
        tok(0, 3, 0, "B-GIVEN_NAME", 0.9),
        tok(4, 6, 1, "B-SURNAME", 0.8),
        tok(6, 7, 1, "I-SURNAME", 0.7),
        tok(8, 10, 2, "O", 0.99),
        tok(11, 12, 3, "B-BUILDING_NUMBER", 0.9),
        tok(13, 16, 4, "B-STREET_NAME", 0.9),
        tok(17, 19, 5, "I-STREET_NAME", 0.9),
        tok(19, 20, 6, "O", 0.9),
        tok(21, 25, 7, "B-CITY", 0.6),
        tok(26, 28, 8, "B-CITY", 0.3), // below threshold
    ];
    let got = aggregate(text, &tokens, 0.5, true);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(
        (got[0].start, got[0].end, got[0].label.as_str()),
        (0, 7, "PERSON")
    );
    assert!((got[0].score - 0.8).abs() < 1e-6);
    assert_eq!(
        (got[1].start, got[1].end, got[1].label.as_str()),
        (11, 25, "LOCATION")
    );
    let unmerged = aggregate(text, &tokens, 0.5, false);
    assert_eq!(unmerged.len(), 5, "{unmerged:?}");
}

#[test]
fn aggregation_widens_to_whole_words() {
    let text = "johnson";
    let tokens = vec![tok(0, 4, 0, "O", 0.9), tok(4, 7, 0, "B-SURNAME", 0.9)];
    let got = aggregate(text, &tokens, 0.5, true);
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].start, got[0].end), (0, 7));
}

#[test]
fn q4_blocks_repack_to_ggml_q4_0_exactly() {
    // Deterministic pseudo-random nibbles and scales (scales exact in f16).
    let (n, k) = (8, 64);
    let mut state = 12345u32;
    let mut next = || {
        state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
        (state >> 16) as u8
    };
    let packed: Vec<u8> = (0..n * k / 2).map(|_| next()).collect();
    let scales: Vec<f32> = (0..n * k / 32)
        .map(|i| 0.125 * (i as f32 + 1.0) * if i % 3 == 0 { -1.0 } else { 1.0 })
        .collect();
    let m = Q4Matrix {
        n,
        k,
        packed,
        scales,
        zero_points: None,
    };
    let reference = m.dequantize();
    let bytes = m.to_ggml_q4_0().unwrap();
    let storage = QStorage::from_data(
        std::borrow::Cow::Owned(bytes),
        &Device::Cpu,
        GgmlDType::Q4_0,
    )
    .unwrap();
    let qt = QTensor::new(storage, (n, k)).unwrap();
    let deq = qt
        .dequantize(&Device::Cpu)
        .unwrap()
        .flatten_all()
        .unwrap()
        .to_vec1::<f32>()
        .unwrap();
    assert_eq!(deq, reference);
    // Element 1 of row 0 is the high nibble of byte 0.
    assert_eq!(
        reference[1],
        (f32::from(m.packed[0] >> 4) - 8.0) * m.scales[0]
    );
}

#[test]
fn missing_and_malformed_models_are_clear_errors() {
    let err = NerModel::load(Path::new("/nonexistent/ner-model")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NerModelNotFound);
    assert!(
        err.to_string().contains("`/nonexistent/ner-model`"),
        "{err}"
    );
    assert!(err.to_string().contains("make setup"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let onnx = dir.path().join("model.onnx");
    std::fs::write(&onnx, b"\xff\xff not a protobuf").unwrap();
    std::fs::copy(
        repo().join("testdata/privacy/tiny-bert-ner/config.json"),
        dir.path().join("config.json"),
    )
    .unwrap();
    std::fs::copy(
        repo().join("testdata/privacy/tiny-bert-ner/tokenizer.json"),
        dir.path().join("tokenizer.json"),
    )
    .unwrap();
    let err = NerModel::load(&onnx).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NerModelInvalid, "{err}");

    // A directory without weights.
    std::fs::remove_file(&onnx).unwrap();
    let err = NerModel::load(dir.path()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::NerModelInvalid, "{err}");

    // Weights without a tokenizer.
    let tiny = tempfile::tempdir().unwrap();
    for f in ["config.json", "model.safetensors"] {
        std::fs::copy(
            repo().join("testdata/privacy/tiny-bert-ner").join(f),
            tiny.path().join(f),
        )
        .unwrap();
    }
    let err = NerModel::load(tiny.path()).unwrap_err();
    assert!(err.to_string().contains("tokenizer.json"), "{err}");

    let bad = NerConfig {
        window_overlap: 600,
        ..NerConfig::default()
    };
    assert!(NerModel::load_with(&repo().join("testdata/privacy/tiny-bert-ner"), bad).is_err());
}

fn max_abs_diff(a: &[Vec<f32>], b: &[Vec<f64>]) -> f64 {
    assert_eq!(a.len(), b.len(), "row counts differ");
    a.iter()
        .zip(b)
        .flat_map(|(x, y)| {
            assert_eq!(x.len(), y.len());
            x.iter().zip(y).map(|(p, q)| (f64::from(*p) - q).abs())
        })
        .fold(0.0, f64::max)
}

fn argmax<T: PartialOrd + Copy>(row: &[T]) -> usize {
    (0..row.len()).fold(0, |best, i| if row[i] > row[best] { i } else { best })
}

#[test]
fn tiny_hf_models_match_numpy() {
    for arch in ["bert", "distilbert"] {
        let dir = repo().join(format!("testdata/privacy/tiny-{arch}-ner"));
        let model = NerModel::load(&dir).unwrap();
        assert!(!model.is_quantized());
        assert_eq!(model.labels(), ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]);
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("expected.json")).unwrap()).unwrap();
        for case in expected.as_array().unwrap() {
            let text = case["text"].as_str().unwrap();
            let want: Vec<Vec<f64>> = serde_json::from_value(case["logits"].clone()).unwrap();
            let got = model.window_logits(text).unwrap();
            let diff = max_abs_diff(&got, &want);
            assert!(diff < 1e-3, "{arch} `{text}`: max abs diff {diff}");
            // Entities come out with valid offsets.
            for e in model.predict(text).unwrap() {
                assert!(
                    e.start < e.end
                        && text.is_char_boundary(e.start)
                        && text.is_char_boundary(e.end)
                );
            }
        }
    }
}

struct ReferenceRow {
    text: String,
    logits: Option<Vec<Vec<f64>>>,
    entities: Vec<(usize, usize, String, f64)>,
}

fn reference_rows() -> Vec<ReferenceRow> {
    let reference =
        std::fs::read_to_string(repo().join("testdata/privacy/ner_reference.jsonl")).unwrap();
    reference
        .lines()
        .map(|line| {
            let row: serde_json::Value = serde_json::from_str(line).unwrap();
            ReferenceRow {
                text: row["text"].as_str().unwrap().to_owned(),
                logits: row
                    .get("logits")
                    .map(|l| serde_json::from_value(l.clone()).unwrap()),
                entities: row["entities"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| {
                        (
                            e["start"].as_u64().unwrap() as usize,
                            e["end"].as_u64().unwrap() as usize,
                            e["label"].as_str().unwrap().to_owned(),
                            e["score"].as_f64().unwrap(),
                        )
                    })
                    .collect(),
            }
        })
        .collect()
}

fn load_installed(quantized: bool) -> Option<NerModel> {
    default_model()?;
    Some(
        NerModel::load_default_with(NerConfig {
            quantized,
            ..NerConfig::default()
        })
        .unwrap(),
    )
}

/// The `f32` path computes what onnxruntime computes: logits equal to the
/// reference's 4 decimals, the same tags and the same entities.
#[test]
fn matches_onnxruntime_reference() {
    let Some(model) = load_installed(false) else {
        return;
    };
    assert!(!model.is_quantized());
    let rows = reference_rows();
    let mut worst = 0f64;
    let mut checked = 0;
    for row in &rows {
        let text = row.text.as_str();
        if let Some(want) = &row.logits {
            let got = model.window_logits(text).unwrap();
            worst = worst.max(max_abs_diff(&got, want));
            for (i, (g, w)) in got.iter().zip(want).enumerate() {
                assert_eq!(argmax(g), argmax(w), "`{text}` token {i}: labels differ");
            }
            checked += 1;
        }
        let got = model.predict(text).unwrap();
        let spans: Vec<(usize, usize, &str)> = got
            .iter()
            .map(|e| (e.start, e.end, e.label.as_str()))
            .collect();
        let want: Vec<(usize, usize, &str)> = row
            .entities
            .iter()
            .map(|e| (e.0, e.1, e.2.as_str()))
            .collect();
        assert_eq!(spans, want, "`{text}`");
        for (g, w) in got.iter().zip(&row.entities) {
            assert!(
                (f64::from(g.score) - w.3).abs() < 1e-3,
                "`{text}`: score {} vs {}",
                g.score,
                w.3
            );
        }
    }
    assert!(checked >= 10);
    eprintln!("f32: max |logit - onnxruntime| over {checked} texts: {worst:.5}");
    assert!(worst < 1e-3, "logits drift from onnxruntime: {worst}");
}

/// The `Q4_0` path quantizes activations to 8 bits on the fly, so its logits
/// move by up to a few tenths: tags must agree wherever onnxruntime's top two
/// classes are more than 1.0 apart, and most entities must be identical.
#[test]
fn quantized_path_tracks_onnxruntime() {
    let Some(model) = load_installed(true) else {
        return;
    };
    assert!(model.is_quantized());
    let mut worst = 0f64;
    let (mut same, mut total) = (0, 0);
    for row in reference_rows() {
        let text = row.text.as_str();
        if let Some(want) = &row.logits {
            let got = model.window_logits(text).unwrap();
            worst = worst.max(max_abs_diff(&got, want));
            for (i, (g, w)) in got.iter().zip(want).enumerate() {
                let mut sorted = w.clone();
                sorted.sort_by(|a, b| b.total_cmp(a));
                if sorted[0] - sorted[1] > 1.0 {
                    assert_eq!(argmax(g), argmax(w), "`{text}` token {i}: labels differ");
                }
            }
        }
        let got = model.predict(text).unwrap();
        for e in &row.entities {
            total += 1;
            same += usize::from(
                got.iter()
                    .any(|g| (g.start, g.end, g.label.as_str()) == (e.0, e.1, e.2.as_str())),
            );
        }
    }
    eprintln!(
        "q4_0: max |logit - onnxruntime| {worst:.4}; {same}/{total} reference entities identical"
    );
    assert!(worst < 0.5, "logits drift from onnxruntime: {worst}");
    assert!(same * 10 >= total * 9, "{same}/{total}");
}

#[test]
fn batch_equals_one_by_one_and_long_texts_window() {
    let Some(model) = default_model() else { return };
    let long = std::fs::read_to_string(repo().join("testdata/privacy/ner_bench.txt")).unwrap();
    let texts = [
        "Hello Tom Baker, welcome to Paris.",
        "",
        "Nothing here.",
        long.as_str(),
    ];
    let batch = model.predict_batch(&texts).unwrap();
    for (text, got) in texts.iter().zip(&batch) {
        let single = model.predict(text).unwrap();
        assert_eq!(single.len(), got.len());
        for (a, b) in single.iter().zip(got) {
            assert_eq!((a.start, a.end, &a.label), (b.start, b.end, &b.label));
            assert!((a.score - b.score).abs() < 1e-3);
        }
    }
    assert!(batch[1].is_empty());
    // The long text (12,000 characters, about 2,800 tokens, seven windows) has findings in every
    // quarter, far past the first 512 tokens. (Exact entities of a windowed
    // text against onnxruntime: `matches_onnxruntime_reference`.)
    for quarter in 0..4 {
        let (lo, hi) = (long.len() * quarter / 4, long.len() * (quarter + 1) / 4);
        assert!(
            batch[3]
                .iter()
                .any(|e| e.start >= lo && e.end <= hi && e.label == "EMAIL_ADDRESS"),
            "no email found in quarter {quarter}"
        );
        assert!(batch[3]
            .iter()
            .any(|e| e.start >= lo && e.end <= hi && e.label == "PERSON"));
    }
    for e in &batch[3] {
        assert!(long.is_char_boundary(e.start) && long.is_char_boundary(e.end) && e.start < e.end);
    }
}
