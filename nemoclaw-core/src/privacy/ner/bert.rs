//! The BERT / DistilBERT encoder with a token-classification head, in Candle.
//!
//! One implementation serves both model sources: the ONNX export with 4-bit
//! weights (run as GGML `Q4_0` through Candle's `QMatMul`, or dequantized to
//! `f32`) and Hugging Face safetensors checkpoints (`f32`, `f16` or `bf16`,
//! run in `f32`). candle-transformers' `bert` module is not used because it
//! only takes dense `VarBuilder` weights, has no DistilBERT layout in the same
//! type, and pulls in every other model of that crate at compile time.

use std::collections::HashMap;

use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{DType, Device, Module, Tensor};

use super::kernels::{BiasGeluErf, BiasResidualLayerNorm, FusedAttention, PackedLinearOp};
use super::matmul::{Epilogue, PackedLinear};
use super::onnx::{OnnxWeights, U8Table};

type CResult<T> = candle_core::Result<T>;

/// The architecture facts the forward pass needs, from `config.json`.
#[derive(Debug, Clone)]
pub(crate) struct ArchConfig {
    pub distilbert: bool,
    pub num_heads: usize,
    pub num_layers: usize,
    pub layer_norm_eps: f64,
    pub activation: Activation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Activation {
    GeluErf,
    GeluTanh,
    Relu,
}

impl Activation {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "gelu" => Some(Self::GeluErf),
            "gelu_new" | "gelu_pytorch_tanh" | "gelu_fast" => Some(Self::GeluTanh),
            "relu" => Some(Self::Relu),
            _ => None,
        }
    }

    fn apply(self, x: &Tensor) -> CResult<Tensor> {
        match self {
            Self::GeluErf => x.gelu_erf(),
            Self::GeluTanh => x.gelu(),
            Self::Relu => x.relu(),
        }
    }
}

/// Where the weights come from.
pub(crate) enum Source {
    Onnx {
        weights: OnnxWeights,
        quantized: bool,
    },
    Safetensors(HashMap<String, Tensor>),
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Onnx { quantized, .. } => write!(f, "Onnx {{ quantized: {quantized} }}"),
            Self::Safetensors(m) => write!(f, "Safetensors({} tensors)", m.len()),
        }
    }
}

/// A projection's weight `[out, in]`.
#[derive(Debug)]
enum Proj {
    /// GGML blocks, `f32` activations quantized on the fly by Candle.
    Quantized(QMatMul),
    /// Dense `f32`, stored transposed (`[in, out]`, contiguous).
    Dense(Tensor),
    /// Dense `f32` packed for the CPU kernel of `matmul.rs`, bias included.
    Packed(PackedLinear),
}

#[derive(Debug)]
struct Linear {
    w: Proj,
    b: Tensor,
}

impl Linear {
    /// From a `[out, in]` weight.
    fn dense(w: &Tensor, b: Tensor) -> CResult<Self> {
        Ok(Self {
            w: Proj::Dense(w.t()?.contiguous()?),
            b,
        })
    }

    /// Multiplies the first `rows` outputs by `factor` (dense weights only;
    /// returns whether it did).
    fn scale_outputs(&mut self, rows: usize, factor: f64) -> CResult<bool> {
        let Proj::Dense(wt) = &self.w else {
            return Ok(false);
        };
        let (_, n) = wt.dims2()?;
        let head = (wt.narrow(1, 0, rows)? * factor)?;
        let wt = Tensor::cat(&[&head, &wt.narrow(1, rows, n - rows)?], 1)?.contiguous()?;
        let b = Tensor::cat(
            &[
                &(self.b.narrow(0, 0, rows)? * factor)?,
                &self.b.narrow(0, rows, n - rows)?,
            ],
            0,
        )?;
        self.w = Proj::Dense(wt);
        self.b = b;
        Ok(true)
    }

    /// On the CPU, packs a dense weight (and its bias) for `matmul.rs`.
    fn pack(&mut self) -> CResult<()> {
        let Proj::Dense(wt) = &self.w else {
            return Ok(());
        };
        let (k, n) = wt.dims2()?;
        let w = wt.t()?.contiguous()?.flatten_all()?.to_vec1::<f32>()?;
        let b = self.b.to_vec1::<f32>()?;
        let packed = PackedLinear::new(&w, &b, n, k)
            .ok_or_else(|| candle_core::Error::Msg("cannot pack weight".to_owned()))?;
        self.w = Proj::Packed(packed);
        Ok(())
    }

    /// `x · Wᵀ`, and whether the bias is already added.
    fn matmul(&self, x: &Tensor, epilogue: Epilogue) -> CResult<(Tensor, bool)> {
        match &self.w {
            Proj::Quantized(q) => Ok((q.forward(x)?, false)),
            Proj::Dense(wt) => Ok((x.matmul(wt)?, false)),
            Proj::Packed(p) => Ok((x.apply_op1_no_bwd(&PackedLinearOp(p, epilogue))?, true)),
        }
    }

    fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        match self.matmul(x, Epilogue::Bias)? {
            (y, true) => Ok(y),
            (y, false) => y.broadcast_add(&self.b),
        }
    }
}

#[derive(Debug)]
struct LayerNorm {
    w: Tensor,
    b: Tensor,
    eps: f32,
}

impl LayerNorm {
    fn forward(&self, x: &Tensor) -> CResult<Tensor> {
        candle_nn::ops::layer_norm(x, &self.w, &self.b, self.eps)
    }
}

/// An embedding table kept on the host; rows are summed there.
#[derive(Debug)]
enum Table {
    F32 {
        rows: usize,
        cols: usize,
        data: Vec<f32>,
    },
    U8(U8Table),
}

impl Table {
    fn rows(&self) -> usize {
        match self {
            Self::F32 { rows, .. } => *rows,
            Self::U8(t) => t.rows,
        }
    }

    fn cols(&self) -> usize {
        match self {
            Self::F32 { cols, .. } => *cols,
            Self::U8(t) => t.cols,
        }
    }

    /// Adds row `row` into `out` (`row` is checked by the caller).
    fn add_row(&self, row: usize, out: &mut [f32]) {
        match self {
            Self::F32 { cols, data, .. } => {
                for (o, v) in out.iter_mut().zip(&data[row * cols..(row + 1) * cols]) {
                    *o += v;
                }
            }
            Self::U8(t) => {
                for (o, &q) in out
                    .iter_mut()
                    .zip(&t.data[row * t.cols..(row + 1) * t.cols])
                {
                    *o += (f32::from(q) - t.zero_point) * t.scale;
                }
            }
        }
    }
}

#[derive(Debug)]
struct Layer {
    /// Whether the query rows of `qkv` already carry 1/sqrt(head dim).
    q_scaled: bool,
    qkv: Linear,
    out: Linear,
    ln1: LayerNorm,
    up: Linear,
    down: Linear,
    ln2: LayerNorm,
}

/// The encoder and its classification head.
#[derive(Debug)]
pub(crate) struct Encoder {
    word: Table,
    position: Table,
    token_type: Option<Table>,
    emb_ln: LayerNorm,
    layers: Vec<Layer>,
    classifier: Linear,
    num_heads: usize,
    hidden: usize,
    num_labels: usize,
    activation: Activation,
    device: Device,
    /// Whether the projections run on GGML `Q4_0` blocks.
    pub quantized: bool,
    /// Whether the projections are packed and attention runs fused (CPU,
    /// optimized builds).
    fused: bool,
    /// Host copies of biases and layer-norm weights for the fused CPU
    /// kernels (`None` off the CPU).
    cpu: Option<CpuParams>,
}

/// One layer's biases and layer-norm weights as host vectors.
#[derive(Debug)]
struct CpuLayer {
    out_b: Vec<f32>,
    ln1_w: Vec<f32>,
    ln1_b: Vec<f32>,
    up_b: Vec<f32>,
    down_b: Vec<f32>,
    ln2_w: Vec<f32>,
    ln2_b: Vec<f32>,
}

#[derive(Debug)]
struct CpuParams {
    layers: Vec<CpuLayer>,
}

impl CpuParams {
    fn new(layers: &[Layer]) -> CResult<Self> {
        let v = |t: &Tensor| t.to_vec1::<f32>();
        Ok(Self {
            layers: layers
                .iter()
                .map(|l| {
                    Ok(CpuLayer {
                        out_b: v(&l.out.b)?,
                        ln1_w: v(&l.ln1.w)?,
                        ln1_b: v(&l.ln1.b)?,
                        up_b: v(&l.up.b)?,
                        down_b: v(&l.down.b)?,
                        ln2_w: v(&l.ln2.w)?,
                        ln2_b: v(&l.ln2.b)?,
                    })
                })
                .collect::<CResult<Vec<_>>>()?,
        })
    }
}

/// Parameter names of one layout (BERT or DistilBERT), prefix stripped.
struct Names {
    word: &'static str,
    position: &'static str,
    token_type: Option<&'static str>,
    emb_ln: &'static str,
    layer: &'static str,
    q: &'static str,
    k: &'static str,
    v: &'static str,
    o: &'static str,
    ln1: &'static str,
    up: &'static str,
    down: &'static str,
    ln2: &'static str,
}

const BERT: Names = Names {
    word: "embeddings.word_embeddings",
    position: "embeddings.position_embeddings",
    token_type: Some("embeddings.token_type_embeddings"),
    emb_ln: "embeddings.LayerNorm",
    layer: "encoder.layer",
    q: "attention.self.query",
    k: "attention.self.key",
    v: "attention.self.value",
    o: "attention.output.dense",
    ln1: "attention.output.LayerNorm",
    up: "intermediate.dense",
    down: "output.dense",
    ln2: "output.LayerNorm",
};

const DISTILBERT: Names = Names {
    word: "embeddings.word_embeddings",
    position: "embeddings.position_embeddings",
    token_type: None,
    emb_ln: "embeddings.LayerNorm",
    layer: "transformer.layer",
    q: "attention.q_lin",
    k: "attention.k_lin",
    v: "attention.v_lin",
    o: "attention.out_lin",
    ln1: "sa_layer_norm",
    up: "ffn.lin1",
    down: "ffn.lin2",
    ln2: "output_layer_norm",
};

/// A weight missing or malformed in the checkpoint.
fn missing(name: &str) -> String {
    format!("missing or malformed weight `{name}`")
}

impl Source {
    fn dense(&self, name: &str, device: &Device) -> Result<Tensor, String> {
        match self {
            Self::Onnx { weights, .. } => {
                let (dims, data) = weights.floats.get(name).ok_or_else(|| missing(name))?;
                Tensor::from_slice(data, dims.as_slice(), device).map_err(|e| e.to_string())
            }
            Self::Safetensors(map) => map
                .get(name)
                .ok_or_else(|| missing(name))?
                .to_dtype(DType::F32)
                .and_then(|t| t.to_device(device))
                .map_err(|e| e.to_string()),
        }
    }

    /// Fused projections: the rows of every part, one after another.
    fn linear(&self, parts: &[String], device: &Device) -> Result<(Linear, bool), String> {
        let biases = parts
            .iter()
            .map(|p| self.dense(&format!("{p}.bias"), device))
            .collect::<Result<Vec<_>, _>>()?;
        let b = Tensor::cat(&biases, 0).map_err(|e| e.to_string())?;
        match self {
            Self::Onnx { weights, quantized } => {
                let mats = parts
                    .iter()
                    .map(|p| weights.matmuls.get(p).ok_or_else(|| missing(p)))
                    .collect::<Result<Vec<_>, _>>()?;
                let k = mats[0].k;
                if mats.iter().any(|m| m.k != k) {
                    return Err(format!(
                        "fused weights `{}` disagree on their input size",
                        parts.join(", ")
                    ));
                }
                let n: usize = mats.iter().map(|m| m.n).sum();
                if b.dims() != [n] {
                    return Err(format!("bias of `{}` does not match its weight", parts[0]));
                }
                let ggml: Option<Vec<u8>> = if *quantized {
                    mats.iter()
                        .map(|m| m.to_ggml_q4_0())
                        .collect::<Option<Vec<_>>>()
                        .map(|v| v.concat())
                } else {
                    None
                };
                if let Some(bytes) = ggml {
                    let storage = QStorage::from_data(
                        std::borrow::Cow::Owned(bytes),
                        device,
                        GgmlDType::Q4_0,
                    )
                    .map_err(|e| e.to_string())?;
                    let qt = QTensor::new(storage, (n, k)).map_err(|e| e.to_string())?;
                    let q = QMatMul::from_qtensor(qt).map_err(|e| e.to_string())?;
                    Ok((
                        Linear {
                            w: Proj::Quantized(q),
                            b,
                        },
                        true,
                    ))
                } else {
                    let data: Vec<f32> = mats.iter().flat_map(|m| m.dequantize()).collect();
                    let w = Tensor::from_vec(data, (n, k), device).map_err(|e| e.to_string())?;
                    Ok((Linear::dense(&w, b).map_err(|e| e.to_string())?, false))
                }
            }
            Self::Safetensors(_) => {
                let ws = parts
                    .iter()
                    .map(|p| self.dense(&format!("{p}.weight"), device))
                    .collect::<Result<Vec<_>, _>>()?;
                let w = Tensor::cat(&ws, 0).map_err(|e| e.to_string())?;
                match (w.dims(), b.dims()) {
                    ([n, _], [nb]) if n == nb => {}
                    _ => return Err(format!("weight and bias of `{}` disagree", parts[0])),
                }
                Ok((Linear::dense(&w, b).map_err(|e| e.to_string())?, false))
            }
        }
    }

    fn layer_norm(&self, name: &str, eps: f64, device: &Device) -> Result<LayerNorm, String> {
        let get = |a: &str, b: &str| {
            self.dense(&format!("{name}.{a}"), device)
                .or_else(|_| self.dense(&format!("{name}.{b}"), device))
        };
        Ok(LayerNorm {
            w: get("weight", "gamma")?,
            b: get("bias", "beta")?,
            eps: eps as f32,
        })
    }

    fn table(&self, name: &str) -> Result<Table, String> {
        if let Self::Onnx { weights, .. } = self {
            if let Some(t) = weights.tables.get(name) {
                return Ok(Table::U8(t.clone()));
            }
        }
        let t = self.dense(&format!("{name}.weight"), &Device::Cpu)?;
        let (rows, cols) = t.dims2().map_err(|_| missing(name))?;
        let data = t
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| e.to_string())?;
        Ok(Table::F32 { rows, cols, data })
    }
}

impl Encoder {
    pub fn build(source: &Source, cfg: &ArchConfig, device: &Device) -> Result<Self, String> {
        let names = if cfg.distilbert { &DISTILBERT } else { &BERT };
        let word = source.table(names.word)?;
        let position = source.table(names.position)?;
        let token_type = match names.token_type {
            Some(n) => Some(source.table(n)?),
            None => None,
        };
        let hidden = word.cols();
        if position.cols() != hidden || token_type.as_ref().is_some_and(|t| t.cols() != hidden) {
            return Err("embedding tables disagree on the hidden size".to_owned());
        }
        if cfg.num_heads == 0 || hidden % cfg.num_heads != 0 {
            return Err(format!(
                "hidden size {hidden} does not split into {} heads",
                cfg.num_heads
            ));
        }
        let emb_ln = source.layer_norm(names.emb_ln, cfg.layer_norm_eps, device)?;
        let mut layers = Vec::with_capacity(cfg.num_layers);
        let mut quantized = true;
        for i in 0..cfg.num_layers {
            let p = |s: &str| format!("{}.{i}.{s}", names.layer);
            let (mut qkv, q1) = source.linear(&[p(names.q), p(names.k), p(names.v)], device)?;
            // Fold the attention scale 1/sqrt(head dim) into the query rows.
            let q_scaled = qkv
                .scale_outputs(hidden, 1.0 / ((hidden / cfg.num_heads) as f64).sqrt())
                .map_err(|e| e.to_string())?;
            let (out, q2) = source.linear(&[p(names.o)], device)?;
            let (up, q3) = source.linear(&[p(names.up)], device)?;
            let (down, q4) = source.linear(&[p(names.down)], device)?;
            quantized &= q1 && q2 && q3 && q4;
            layers.push(Layer {
                q_scaled,
                qkv,
                out,
                ln1: source.layer_norm(&p(names.ln1), cfg.layer_norm_eps, device)?,
                up,
                down,
                ln2: source.layer_norm(&p(names.ln2), cfg.layer_norm_eps, device)?,
            });
        }
        let (mut classifier, qc) = source.linear(&["classifier".to_owned()], device)?;
        // The packed kernels run in every CPU build, so the tests check the
        // path that ships; the workspace's dev profile compiles this crate at
        // opt-level 1, which keeps them fast enough for the test suite.
        let fused = device.is_cpu();
        if fused {
            let pack = |l: &mut Linear| l.pack().map_err(|e| e.to_string());
            for layer in &mut layers {
                pack(&mut layer.qkv)?;
                pack(&mut layer.out)?;
                pack(&mut layer.up)?;
                pack(&mut layer.down)?;
            }
            pack(&mut classifier)?;
        }
        let num_labels = classifier.b.dims1().map_err(|e| e.to_string())?;
        let cpu = if device.is_cpu() {
            Some(CpuParams::new(&layers).map_err(|e| e.to_string())?)
        } else {
            None
        };
        Ok(Self {
            fused,
            cpu,
            word,
            position,
            token_type,
            emb_ln,
            layers,
            classifier,
            num_heads: cfg.num_heads,
            hidden,
            num_labels,
            activation: cfg.activation,
            device: device.clone(),
            quantized: quantized && qc,
        })
    }

    /// The rest of a layer after attention on the CPU: output projection,
    /// residual and layer norm, feed-forward, residual and layer norm.
    fn cpu_feed_forward(
        &self,
        li: usize,
        cpu: &CpuParams,
        layer: &Layer,
        x: &Tensor,
        ctx: &Tensor,
    ) -> CResult<Tensor> {
        let (o, biased) = layer.out.matmul(ctx, Epilogue::Bias)?;
        let x1 = o.apply_op2_no_bwd(
            x,
            &BiasResidualLayerNorm {
                bias: if biased { &[] } else { &cpu.layers[li].out_b },
                gamma: &cpu.layers[li].ln1_w,
                beta: &cpu.layers[li].ln1_b,
                eps: layer.ln1.eps,
            },
        )?;
        let up = if self.activation == Activation::GeluErf {
            match layer.up.matmul(&x1, Epilogue::GeluErf)? {
                (y, true) => y,
                (y, false) => y.apply_op1_no_bwd(&BiasGeluErf(&cpu.layers[li].up_b))?,
            }
        } else {
            self.activation.apply(&layer.up.forward(&x1)?)?
        };
        let (d, biased) = layer.down.matmul(&up, Epilogue::Bias)?;
        let x = d.apply_op2_no_bwd(
            &x1,
            &BiasResidualLayerNorm {
                bias: if biased { &[] } else { &cpu.layers[li].down_b },
                gamma: &cpu.layers[li].ln2_w,
                beta: &cpu.layers[li].ln2_b,
                eps: layer.ln2.eps,
            },
        )?;
        Ok(x)
    }

    pub fn num_labels(&self) -> usize {
        self.num_labels
    }

    pub fn vocab_size(&self) -> usize {
        self.word.rows()
    }

    pub fn max_positions(&self) -> usize {
        self.position.rows()
    }

    /// Logits for a batch of sequences (each already holding its special
    /// tokens, ids below the vocabulary size, lengths within the position
    /// table): one `len * num_labels` row-major vector per sequence.
    pub fn forward(&self, batch: &[Vec<u32>]) -> CResult<Vec<Vec<f32>>> {
        let b = batch.len();
        let l = batch.iter().map(Vec::len).max().unwrap_or(0);
        if b == 0 || l == 0 {
            return Ok(batch.iter().map(|_| Vec::new()).collect());
        }
        let h = self.hidden;
        let mut emb = vec![0f32; b * l * h];
        for (s, ids) in batch.iter().enumerate() {
            for (p, &id) in ids.iter().enumerate() {
                let out = &mut emb[(s * l + p) * h..(s * l + p + 1) * h];
                self.word.add_row(id as usize, out);
                self.position.add_row(p, out);
                if let Some(t) = &self.token_type {
                    t.add_row(0, out);
                }
            }
        }
        let x = Tensor::from_vec(emb, (b * l, h), &self.device)?;
        let mut x = self.emb_ln.forward(&x)?;

        // Additive mask over padded keys, only when lengths differ.
        let mask = if !self.fused && batch.iter().any(|s| s.len() != l) {
            let mut m = vec![0f32; b * l];
            for (s, ids) in batch.iter().enumerate() {
                for v in &mut m[s * l + ids.len()..(s + 1) * l] {
                    *v = f32::MIN;
                }
            }
            Some(Tensor::from_vec(m, (b, 1, 1, l), &self.device)?)
        } else {
            None
        };

        let heads = self.num_heads;
        let d = h / heads;
        let scale = 1.0 / (d as f64).sqrt();
        let lens: Vec<usize> = batch.iter().map(Vec::len).collect();
        let cpu = self.cpu.as_ref();
        for (li, layer) in self.layers.iter().enumerate() {
            let qkv = layer.qkv.forward(&x)?;
            if let (Some(cpu), true) = (&cpu, self.fused) {
                let ctx = qkv.apply_op1_no_bwd(&FusedAttention {
                    l,
                    heads,
                    lens: &lens,
                    scale: if layer.q_scaled { 1.0 } else { scale as f32 },
                })?;
                x = self.cpu_feed_forward(li, cpu, layer, &x, &ctx)?;
                continue;
            }
            let qkv = qkv.reshape((b, l, 3, heads, d))?;
            let mut q = qkv
                .narrow(2, 0, 1)?
                .squeeze(2)?
                .transpose(1, 2)?
                .contiguous()?;
            if !layer.q_scaled {
                q = (q * scale)?;
            }
            let k = qkv
                .narrow(2, 1, 1)?
                .squeeze(2)?
                .transpose(1, 2)?
                .contiguous()?;
            let v = qkv
                .narrow(2, 2, 1)?
                .squeeze(2)?
                .transpose(1, 2)?
                .contiguous()?;
            let mut scores = q.matmul(&k.t()?)?;
            if let Some(m) = &mask {
                scores = scores.broadcast_add(m)?;
            }
            let probs = candle_nn::ops::softmax_last_dim(&scores)?;
            let ctx = probs.matmul(&v)?.transpose(1, 2)?.reshape((b * l, h))?;
            let attn = (layer.out.forward(&ctx)? + &x)?;
            let x1 = layer.ln1.forward(&attn)?;
            let up = self.activation.apply(&layer.up.forward(&x1)?)?;
            let down = (layer.down.forward(&up)? + &x1)?;
            x = layer.ln2.forward(&down)?;
        }
        let logits = self
            .classifier
            .forward(&x)?
            .reshape((b, l * self.num_labels))?;
        let rows = logits.to_device(&Device::Cpu)?.to_vec2::<f32>()?;
        Ok(rows
            .into_iter()
            .zip(batch)
            .map(|(mut row, ids)| {
                row.truncate(ids.len() * self.num_labels);
                row
            })
            .collect())
    }
}

/// The most probable class of one logits row and its softmax probability.
pub(crate) fn top_class(row: &[f32]) -> (usize, f32) {
    let (class, max) = row
        .iter()
        .copied()
        .enumerate()
        .fold(
            (0, f32::NEG_INFINITY),
            |a, (i, v)| if v > a.1 { (i, v) } else { a },
        );
    let sum: f32 = row.iter().map(|v| (v - max).exp()).sum();
    (class, if sum > 0.0 { 1.0 / sum } else { 0.0 })
}
