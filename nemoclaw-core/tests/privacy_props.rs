//! Property tests: the privacy pipeline never panics and keeps its
//! invariants on arbitrary input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // reason: test code

use std::sync::{Arc, OnceLock};

use nemoclaw_core::privacy::{
    CodeFingerprints, Dictionary, EndpointKind, Operator, OperatorConfig, Payload, Redactor,
    Router, Session, StreamRedactor, Vault, VaultKey,
};
use proptest::prelude::*;

fn redactor() -> &'static Redactor {
    static R: OnceLock<Redactor> = OnceLock::new();
    R.get_or_init(|| {
        Redactor::builder()
            .operators(OperatorConfig::uniform(Operator::Pseudonymize))
            .dictionary(
                Dictionary::builder()
                    .term("Falcon", "TRADE_SECRET")
                    .case_insensitive(true)
                    .whole_words(true)
                    .build()
                    .unwrap(),
            )
            .codebase(
                CodeFingerprints::builder()
                    .add_source("a.rs", "fn f(x: u32) -> u32 { let y = x * 3 + 1; if y > 10 { y - 10 } else { y } }")
                    .build(),
            )
            .build()
            .unwrap()
    })
}

fn pii_text() -> impl Strategy<Value = String> {
    let pieces = prop::collection::vec(
        prop_oneof![
            Just("ana@example.org".to_string()),
            Just("4111 1111 1111 1111".to_string()),
            Just("536-22-1234".to_string()),
            Just("+44 20 7946 0958".to_string()),
            Just("DE89 3704 0044 0532 0130 00".to_string()),
            Just("2001:db8::1".to_string()),
            Just("-----BEGIN PRIVATE KEY-----".to_string()),
            Just("password=".to_string()),
            Just("://u:p@".to_string()),
            Just("Zoë Müller 東京 🙂".to_string()),
            "\\PC{0,12}",
            "[0-9 .:@/-]{0,16}",
        ],
        0..12,
    );
    pieces.prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn analyze_never_panics_and_spans_are_valid(text in pii_text()) {
        let spans = redactor().analyze(&text).unwrap();
        let mut last = 0;
        for s in &spans {
            prop_assert!(s.start < s.end && s.end <= text.len());
            prop_assert!(text.is_char_boundary(s.start) && text.is_char_boundary(s.end));
            prop_assert!(s.start >= last);
            last = s.end;
        }
    }

    #[test]
    fn pseudonymized_text_restores(text in pii_text()) {
        let mut session = Session::ephemeral();
        let red = redactor().redact(&text, &mut session).unwrap();
        prop_assert_eq!(session.restore(&red.text), text);
    }

    #[test]
    fn arbitrary_unicode_never_panics(text in "\\PC{0,200}") {
        let mut session = Session::ephemeral();
        let _ = redactor().redact(&text, &mut session).unwrap();
    }

    #[test]
    fn streaming_loses_nothing(text in pii_text(), chunk in 1usize..64) {
        let r = redactor();
        let mut s2 = Session::ephemeral();
        let mut st = StreamRedactor::new(r, 256);
        let mut out = String::new();
        let mut at = 0;
        while at < text.len() {
            let mut end = (at + chunk).min(text.len());
            while !text.is_char_boundary(end) { end += 1; }
            out.push_str(&st.push(&text[at..end], &mut s2).unwrap());
            at = end;
        }
        out.push_str(&st.finish(&mut s2).unwrap());
        prop_assert_eq!(s2.restore(&out), text);
    }

    #[test]
    fn vault_open_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..128)) {
        let key = VaultKey::from_bytes(&[3u8; 32]).unwrap();
        let _ = Vault::open(&bytes, &key, "s");
    }

    #[test]
    fn router_chat_json_never_panics(v in json_value()) {
        static ROUTER: OnceLock<Router> = OnceLock::new();
        let router = ROUTER.get_or_init(|| {
            Router::builder().build(Arc::new(Redactor::builder().build().unwrap())).unwrap()
        });
        let _ = router.route("a", EndpointKind::Remote, &Payload::Chat(v), &mut Session::ephemeral());
    }
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        "\\PC{0,20}".prop_map(serde_json::Value::from),
        Just(serde_json::Value::from("mail ana@example.org")),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
            prop::collection::hash_map(
                prop_oneof![
                    Just("content".to_string()),
                    Just("messages".to_string()),
                    Just("text".to_string()),
                    "[a-z]{1,5}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}
